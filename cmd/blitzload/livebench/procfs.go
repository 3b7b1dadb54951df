package livebench

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ClockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat (100 on Linux).
const ClockTicks = 100

// ParseVmRSS returns VmRSS in KiB from the text of /proc/PID/status.
func ParseVmRSS(status string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0, errors.New("vmrss: empty VmRSS line")
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("vmrss: %w", err)
		}
		return kb, nil
	}
	return 0, errors.New("vmrss: no VmRSS line")
}

// ParseCPUTicks returns utime+stime (fields 14 and 15, in clock ticks) from the text of
// /proc/PID/stat. The command name (field 2) may hold spaces and parentheses, so the
// fields are counted after its last ')'.
func ParseCPUTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("proc stat: no command name")
	}
	// After ')': field 3 (state) is rest[0], so field n is rest[n-3].
	rest := strings.Fields(stat[i+1:])
	if len(rest) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the command name", len(rest))
	}
	utime, err := strconv.ParseInt(rest[14-3], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("proc stat utime: %w", err)
	}
	stime, err := strconv.ParseInt(rest[15-3], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("proc stat stime: %w", err)
	}
	return utime + stime, nil
}

// ReadRSS returns VmRSS of pid in KiB.
func ReadRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	return ParseVmRSS(string(data))
}

// ReadCPU returns the user plus system CPU time pid has used.
func ReadCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu: %w", err)
	}
	ticks, err := ParseCPUTicks(string(data))
	if err != nil {
		return 0, err
	}
	return time.Duration(ticks) * time.Second / ClockTicks, nil
}

// ParseMetric returns the value of an unlabelled Prometheus sample name from a text
// exposition.
func ParseMetric(text, name string) (float64, bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		return v, err == nil
	}
	return 0, false
}
