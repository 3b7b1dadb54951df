package livebench

import (
	"fmt"
	"strings"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/benchfile"
)

// The markers around the section blitzload live owns.
const (
	BeginMarker = "<!-- blitzload:live:begin -->"
	EndMarker   = "<!-- blitzload:live:end -->"
)

// WriteSection replaces the marked section of path with section, appending it at the
// end when the file has none (and creating the file when missing).
func WriteSection(path, section string) error {
	return benchfile.Write(path, BeginMarker, EndMarker, section, "")
}

// ReplaceSection returns doc with its live section replaced by section, or with
// section appended when doc has no complete one.
func ReplaceSection(doc, section string) string {
	return benchfile.Replace(doc, BeginMarker, EndMarker, section)
}

// cell renders v with format, or "n/a" when v is negative (unknown).
func cell(format string, v float64) string {
	if v < 0 {
		return "n/a"
	}
	return fmt.Sprintf(format, v)
}

// tableRows is the table: one label and one cell per run.
func tableRows(runs []RunResult) [][]string {
	type line struct {
		label string
		f     func(RunResult) string
	}
	kib := func(v int64) string { return cell("%.0f MiB", float64(v)/1024) }
	lines := []line{
		{"subscribers connected (failed / lost during the run)", func(r RunResult) string {
			return fmt.Sprintf("%d (%d / %d)", r.Connected, r.Failed, r.Lost)
		}},
		{"time to connect all and read their snapshots", func(r RunResult) string { return fmt.Sprintf("%.1f s", r.ConnectSeconds) }},
		{"server RSS before → after, idle", func(r RunResult) string { return kib(r.RSSBefore) + " → " + kib(r.RSSAfter) }},
		{"**memory per idle connection (ΔRSS / subscribers)**", func(r RunResult) string { return cell("%.1f KiB", r.RSSPerConn()) }},
		{"Go heap in use per idle connection", func(r RunResult) string { return cell("%.1f KiB", r.HeapPerConn()) }},
		{"decisions/s paced (holds + releases)", func(r RunResult) string { return fmt.Sprintf("%.0f", r.Rate) }},
		{"decisions/s achieved", func(r RunResult) string { return fmt.Sprintf("%.0f", r.Load.DecisionsPerSec) }},
		{"section versions (deltas)/s", func(r RunResult) string { return fmt.Sprintf("%.1f", r.DeltasPerSec()) }},
		{"fan-out due (versions/s × subscribers), msgs/s", func(r RunResult) string { return fmt.Sprintf("%.0f", r.DuePerSec()) }},
		{"**fan-out delivered (all subscribers), msgs/s**", func(r RunResult) string { return fmt.Sprintf("%.0f", r.DeliveredPerSec()) }},
		{"**kept up?**", func(r RunResult) string {
			if why := r.Saturation(); why != "" {
				return "no, saturated: " + why
			}
			return "yes"
		}},
		{"held deliveries measured", func(r RunResult) string { return fmt.Sprintf("%d", r.Delivery.Count) }},
		{"**201 → delta p50**", func(r RunResult) string { return fmt.Sprintf("%.2f ms", r.Delivery.P50) }},
		{"201 → delta p90", func(r RunResult) string { return fmt.Sprintf("%.2f ms", r.Delivery.P90) }},
		{"**201 → delta p99**", func(r RunResult) string { return fmt.Sprintf("%.2f ms", r.Delivery.P99) }},
		{"201 → delta p99.9", func(r RunResult) string { return fmt.Sprintf("%.2f ms", r.Delivery.P999) }},
		{"**201 → delta max**", func(r RunResult) string { return fmt.Sprintf("%.2f ms", r.Delivery.Max) }},
		{"one fan-out, first → last subscriber's copy, p50 / p99 / max", func(r RunResult) string {
			return fmt.Sprintf("%.2f / %.2f / %.2f ms", r.Spread.P50, r.Spread.P99, r.Spread.Max)
		}},
		{"deltas that beat their 201 (counted as 0 ms)", func(r RunResult) string { return fmt.Sprintf("%d", r.Delivery.Early) }},
		{"gaps / duplicates / unmatched held changes", func(r RunResult) string {
			return fmt.Sprintf("%d / %d / %d", r.Gaps, r.Duplicates, r.Unmatched)
		}},
		{"subscribers behind the final version 30 s after the load", func(r RunResult) string { return fmt.Sprintf("%d", r.Behind) }},
		{"load errors (with subscribers / baseline)", func(r RunResult) string {
			return fmt.Sprintf("%d / %d", r.Load.Errors, r.Baseline.Errors)
		}},
		{"server CPU with subscribers", func(r RunResult) string { return cell("%.3f s/s", r.Load.CPUPerSec) }},
		{"server CPU, same load, 0 subscribers", func(r RunResult) string { return cell("%.3f s/s", r.Baseline.CPUPerSec) }},
		{"fan-out CPU (difference)", func(r RunResult) string { return cell("%.3f s/s", r.FanoutCPUPerSec()) }},
		{"**server CPU per 1,000 delivered msgs/s (all)**", func(r RunResult) string { return cell("%.4f s/s", r.CPUPerKMsg()) }},
		{"**fan-out CPU per 1,000 delivered msgs/s**", func(r RunResult) string { return cell("%.4f s/s", r.FanoutCPUPerKMsg()) }},
	}
	out := make([][]string, 0, len(lines))
	for _, l := range lines {
		row := []string{l.label}
		for _, r := range runs {
			if r.Error != "" && r.Load.Seconds == 0 {
				row = append(row, "failed")
				continue
			}
			row = append(row, l.f(r))
		}
		out = append(out, row)
	}
	return out
}

// Markdown renders the marked section.
func Markdown(res *Result) string {
	var b strings.Builder
	c := res.Config
	b.WriteString(BeginMarker + "\n")
	b.WriteString("## Live layer: delivery latency, memory per connection, fan-out CPU\n\n")
	fmt.Fprintf(&b, "Written by `blitzload live` on %s (took %s).\n\n", res.Started.UTC().Format("2006-01-02 15:04 MST"), res.Ended.Sub(res.Started).Round(1e9))
	fmt.Fprintf(&b, "- Machine: %s.\n", res.Machine)
	fmt.Fprintf(&b, "- Command: `%s`\n", res.Command)
	fmt.Fprintf(&b, "- Each column is a fresh actor-strategy server (fresh database, single node, in-process Kafka broker) with one %s-seat reserved section. S idle subscribers open `/ws/events/{event_id}` and read the snapshot; the server's VmRSS is read before they connect and after they sat idle for %s. Then %d fans, each its own user and connection, drive the paced decisions/s of the column (hold best-available 1 seat, then release it) for %s. Every committed version goes to every subscriber, so the rate is chosen per subscriber count (`--rate`, one per count; by default `--fanout` messages/s, 40,000, divided by the count, at most 500) to ask every column for about the same fan-out; a column that could not keep up says so (subscribers still behind 30 s after the load, deliveries missing, or decisions well below the pace).\n",
		thousands(c.Seats), c.Idle, c.Fans, c.Duration)
	b.WriteString("- Latency matching: a seat is held again only after its previous hold was released, and the load records each 201 before releasing, so the n-th time a seat turns `held` in the version stream is the n-th 201 for that seat. Every subscriber measures, for every held change, its delta's arrival minus that 201's arrival (HDR histogram over subscribers × held changes). The commit happens before the 201 is sent, so this underestimates commit-to-delivery by the commit → 201 gap; a delta that beats its 201 is counted as 0 ms and reported.\n")
	b.WriteString("- CPU: the server's utime+stime from `/proc/PID/stat` over the load, per wall second. It includes the hold/release load itself (HTTP, actor, group commits, outbox relay, Kafka, the live feed's consumer), so the same load is also run on the same server with no subscriber (on another event, before the subscribers connect); the difference is the fan-out. Both are divided by the delivered messages/s ÷ 1,000.\n")
	fmt.Fprintf(&b, "- The load client, its subscribers (one process, %d dialling at a time, each message scanned for its section, version and held seats rather than decoded), PostgreSQL, Redis and the server share the machine's CPUs.\n\n", c.DialConcurrency)
	b.WriteString("| measure |")
	for _, r := range res.Runs {
		fmt.Fprintf(&b, " %s subscribers |", thousands(r.Subscribers))
	}
	b.WriteString("\n|---|")
	for range res.Runs {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, row := range tableRows(res.Runs) {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	for _, r := range res.Runs {
		if r.Error != "" {
			fmt.Fprintf(&b, "\n%s subscribers: %s\n", thousands(r.Subscribers), oneLine(r.Error))
		}
	}
	b.WriteString("\n" + EndMarker + "\n")
	return b.String()
}

// Text renders the report for a terminal.
func Text(res *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "blitzload live — %s\n%s\n\n", res.Machine, res.Command)
	rows := tableRows(res.Runs)
	width := make([]int, len(res.Runs)+1)
	head := []string{"measure"}
	for _, r := range res.Runs {
		head = append(head, thousands(r.Subscribers)+" subs")
	}
	all := append([][]string{head}, rows...)
	for _, row := range all {
		for i, s := range row {
			width[i] = max(width[i], len([]rune(strings.ReplaceAll(s, "**", ""))))
		}
	}
	for _, row := range all {
		for i, s := range row {
			s = strings.ReplaceAll(s, "**", "")
			pad := width[i] - len([]rune(s))
			if i == 0 {
				b.WriteString(s + strings.Repeat(" ", pad))
			} else {
				b.WriteString("  " + strings.Repeat(" ", pad) + s)
			}
		}
		b.WriteString("\n")
	}
	for _, r := range res.Runs {
		if r.Error != "" {
			fmt.Fprintf(&b, "\n%d subscribers failed: %s\n", r.Subscribers, r.Error)
		}
		if r.Load.LastError != "" {
			fmt.Fprintf(&b, "%d subscribers: last load error: %s\n", r.Subscribers, r.Load.LastError)
		}
	}
	return b.String()
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// thousands renders n with grouping commas.
func thousands(n int) string {
	s := fmt.Sprintf("%d", n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
