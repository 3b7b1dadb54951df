// Package fdlimit raises the process's open-file limit honestly: the soft limit up to
// the hard one, never beyond, and says how many connections that allows.
package fdlimit

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Reserve is the descriptors kept for everything that is not a fan connection
// (stdio, files, the runtime's poller, the audit's readers).
const Reserve = 128

// Limit is RLIMIT_NOFILE before and after raising it.
type Limit struct {
	SoftBefore, Soft, Hard uint64
}

// String describes the limit for the report.
func (l Limit) String() string {
	if l.SoftBefore != l.Soft {
		return fmt.Sprintf("RLIMIT_NOFILE soft %d (raised from %d), hard %d", l.Soft, l.SoftBefore, l.Hard)
	}
	return fmt.Sprintf("RLIMIT_NOFILE soft %d, hard %d", l.Soft, l.Hard)
}

// Raise lifts the soft limit to the hard limit when it is lower.
func Raise() (Limit, error) {
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &r); err != nil {
		return Limit{}, fmt.Errorf("get RLIMIT_NOFILE: %w", err)
	}
	l := Limit{SoftBefore: r.Cur, Soft: r.Cur, Hard: r.Max}
	if r.Cur < r.Max {
		r.Cur = r.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &r); err != nil {
			return l, fmt.Errorf("raise RLIMIT_NOFILE to %d: %w", r.Max, err)
		}
		if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &r); err != nil {
			return l, fmt.Errorf("get RLIMIT_NOFILE: %w", err)
		}
		l.Soft = r.Cur
	}
	return l, nil
}

// Check refuses a run that needs more connections than the soft limit allows.
func (l Limit) Check(conns int) error {
	need := uint64(conns) + Reserve
	if need > l.Soft {
		return fmt.Errorf("%d connections need %d open files (with %d in reserve), but %s; lower the number of fans or raise the hard limit (ulimit -Hn)",
			conns, need, Reserve, l)
	}
	return nil
}
