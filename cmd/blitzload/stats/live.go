package stats

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Live prints the run's progress: on a terminal a progress line rewritten four times a
// second, and in every case one line of per-second stats each second.
type Live struct {
	Collector *Collector
	Out       io.Writer
	// Label prefixes every line, e.g. "flash".
	Label string
	// TTY enables the rewritten progress line.
	TTY bool
}

// Run prints until ctx ends, then clears the progress line.
func (l Live) Run(ctx context.Context) {
	tick := time.Second
	if l.TTY {
		tick = 250 * time.Millisecond
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	var prev Snapshot
	lastLine := time.Now()
	for {
		select {
		case <-ctx.Done():
			if l.TTY {
				fmt.Fprint(l.Out, "\r\033[K")
			}
			return
		case now := <-t.C:
			snap := l.Collector.Snapshot(now)
			if snap.Elapsed <= 0 {
				continue
			}
			if now.Sub(lastLine) < time.Second-tick/2 {
				fmt.Fprintf(l.Out, "\r\033[K[%s %5.1fs] requests %d  decisions %d  errors %d",
					l.Label, snap.Elapsed.Seconds(), snap.Requests, snap.Decisions, snap.Errors)
				continue
			}
			secs := now.Sub(lastLine).Seconds()
			lastLine = now
			line := FormatSecond(l.Label, prev, snap, secs)
			prev = snap
			if l.TTY {
				line = "\r\033[K" + line
			}
			fmt.Fprintln(l.Out, line)
		}
	}
}

// FormatSecond renders one per-second stats line from two snapshots secs apart.
func FormatSecond(label string, prev, cur Snapshot, secs float64) string {
	if secs <= 0 {
		secs = 1
	}
	rate := func(a, b int64) float64 { return float64(b-a) / secs }
	var b strings.Builder
	fmt.Fprintf(&b, "[%s %4.0fs] requests %d (%.0f/s)  decisions %.0f/s  durable holds %.0f/s  errors %d (+%d)",
		label, cur.Elapsed.Seconds(), cur.Requests, rate(prev.Requests, cur.Requests),
		rate(prev.Decisions, cur.Decisions), rate(prev.DurableHolds, cur.DurableHolds),
		cur.Errors, cur.Errors-prev.Errors)
	names := make([]string, 0, len(cur.LastSecond))
	for n := range cur.LastSecond {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		ci, cj := cur.LastSecond[names[i]].Count, cur.LastSecond[names[j]].Count
		if ci != cj {
			return ci > cj
		}
		return names[i] < names[j]
	})
	if len(names) > 2 {
		names = names[:2]
	}
	for _, n := range names {
		l := cur.LastSecond[n]
		fmt.Fprintf(&b, " | %s p50 %.1fms p99 %.1fms", n, l.P50, l.P99)
	}
	return b.String()
}
