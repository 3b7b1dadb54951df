package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
)

// WriteText prints the report for a person.
func WriteText(w io.Writer, d Doc) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s\n", d.Title, d.Generated.UTC().Format("2006-01-02 15:04:05 MST"))
	if d.Command != "" {
		fmt.Fprintf(&b, "command: %s\n", d.Command)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, f := range d.Facts {
		fmt.Fprintf(tw, "  %s\t%s\n", f.Name, f.Value)
	}
	tw.Flush()
	for _, n := range d.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	s := d.Summary
	fmt.Fprintf(&b, "\nmeasured %.2f s: %d requests (%.0f/s), %d decisions (%.0f/s), %d durable holds (%.0f/s), %d errors\n",
		s.Seconds, s.Requests, s.RequestsPerSec, s.Decisions, s.DecisionsPerSec, s.DurableHolds, s.DurableHoldsPerSec, s.Errors)
	writeEndpoints(&b, s.Endpoints)
	if s.ScheduleLag != nil {
		l := s.ScheduleLag
		fmt.Fprintf(&b, "schedule lag (open model, counted in the latencies above): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", l.P50, l.P99, l.Max)
	}
	writeWebSocket(&b, s.WebSocket)
	if d.Audit != nil {
		b.WriteString("\n")
		if err := d.Audit.WriteText(&b); err != nil {
			return err
		}
	} else {
		b.WriteString("\naudit skipped\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func writeEndpoints(b *strings.Builder, eps []stats.Endpoint) {
	if len(eps) == 0 {
		return
	}
	b.WriteString("\n")
	width := len("endpoint")
	for _, e := range eps {
		width = max(width, len(e.Name))
	}
	fmt.Fprintf(b, "%-*s %9s %7s %9s %9s %9s %9s %9s\n", width, "endpoint", "count", "errors", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms")
	for _, e := range eps {
		l := e.Latency
		fmt.Fprintf(b, "%-*s %9d %7d %9.2f %9.2f %9.2f %9.2f %9.2f\n", width, e.Name, e.Count, e.Errors, l.P50, l.P90, l.P99, l.P999, l.Max)
	}
	for _, e := range eps {
		fmt.Fprintf(b, "  %s: status %s", e.Name, counts(e.Statuses))
		if len(e.Codes) > 0 {
			fmt.Fprintf(b, "; codes %s", counts(e.Codes))
		}
		b.WriteString("\n")
	}
}

func counts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func writeWebSocket(b *strings.Builder, ws stats.WebSocketInfo) {
	switch {
	case !ws.Enabled:
		return
	case !ws.Available:
		fmt.Fprintf(b, "websockets: unavailable (%s)\n", ws.Note)
	default:
		fmt.Fprintf(b, "websockets: %d connected, %d messages, %d version gaps", ws.Connected, ws.Messages, ws.Gaps)
		if d := ws.Delivery; d != nil {
			fmt.Fprintf(b, "; delivery after the hold's answer p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d samples)", d.P50, d.P99, d.Max, d.Count)
		}
		b.WriteString("\n")
	}
}
