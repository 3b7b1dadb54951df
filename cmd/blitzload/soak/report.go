package soak

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// maxTableSamples bounds the samples the markdown table shows; the JSON has them all.
const maxTableSamples = 16

// sampleLine renders a sample as one progress line.
func sampleLine(s Sample) string {
	var rows []string
	for _, t := range tables {
		rows = append(rows, fmt.Sprintf("%s %d", t, s.Rows[t]))
	}
	var rss []string
	for _, n := range sortedKeys(s.RSS) {
		rss = append(rss, fmt.Sprintf("%s %s (heap %s)", n, mib(s.RSS[n]), mib(s.Heap[n])))
	}
	return fmt.Sprintf("t=%s decisions %d | %s | held %d (overdue %d) | outbox lag %s (%d unpublished) | rss %s",
		s.At.Round(time.Second), s.Decisions, strings.Join(rows, ", "), s.Held, s.Overdue, secs(s.OutboxLag), s.Unpublished,
		strings.Join(rss, ", "))
}

// activationText renders how a section came back.
func activationText(a Activation) string {
	if !a.Answered {
		return fmt.Sprintf("no definite answer within %s (%d attempts)", probeBudget, a.Attempts)
	}
	what := fmt.Sprintf("%d", a.Status)
	if a.Code != "" {
		what += " " + a.Code
	}
	return fmt.Sprintf("first answer %s after the kill (%s, %d attempts), taken over at %s", msec(a.FirstAnswer), what, a.Attempts, msec(a.TookOver))
}

// WriteText prints the result for a terminal.
func WriteText(w io.Writer, r Result) {
	verdict := "PASS"
	if !r.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "soak: %d nodes, %s of sale at %.4g journeys/s; %d journeys, %d decisions (%.1f/s), %d failed operations, %d skipped arrivals\n",
		r.Nodes, r.Sale.Round(time.Second), r.Rate, r.Journeys, r.Decisions, perSecond(r.Decisions, r.Sale), r.Failed, r.Skipped)
	fmt.Fprintf(w, "  operations: %s\n", opsText(r.Ops))
	fmt.Fprintf(w, "  samples:\n")
	for _, s := range r.Samples {
		fmt.Fprintf(w, "    %s\n", sampleLine(s))
	}
	fmt.Fprintf(w, "    final %s\n", sampleLine(r.Final))
	fmt.Fprintf(w, "  kill -9 %s (holds the lease of the busiest section, %s): declared dead after %s; back after %s\n",
		r.Kill.Victim, r.Kill.Busiest, msec(r.Kill.Detected), msec(r.Kill.Restart))
	for _, a := range r.Kill.Activations {
		fmt.Fprintf(w, "    %s, %d live holds: %s\n", a.Section, a.LiveHolds, activationText(a))
	}
	fmt.Fprintf(w, "  held past expiry + %s: at most %d in any sample\n", r.ExpirySlack, r.MaxOverdue())
	fmt.Fprintf(w, "  audit: %d records, %d holds, %d orders (%d read back), %d seats checked, %d violations %v\n",
		r.Audit.Records, r.Audit.Holds, r.Audit.Orders, r.Audit.OrdersChecked, r.Audit.SeatsChecked, r.Audit.Total(), r.Audit.Counts)
	for _, v := range r.Audit.Violations {
		fmt.Fprintf(w, "    %v\n", v)
	}
	fmt.Fprintf(w, "soak %s (logs in %s)\n", verdict, r.WorkDir)
}

// Markdown renders the result as BENCHMARKS.md's soak section.
func Markdown(r Result, machine, command, date string) string {
	var b strings.Builder
	b.WriteString("## A day-long sale, compressed: soak\n\n")
	fmt.Fprintf(&b, "Written by `blitzload soak` on %s.\n\n- Machine: %s.\n- Command: `%s`\n", date, machine, command)
	fmt.Fprintf(&b, "- Each run: a fresh database, a `ticketblitz broker` process and %d node processes on loopback behind a simulated load balancer; "+
		"journeys arrive at %.4g/s for %s over %d sections of %d seats (section *i* draws 1/*i* of them) and %d quiet sections no journey visits. "+
		"A journey reads the seat map and picks seats one time in ten, otherwise holds 1–2 best available; a quarter of the holds are extended; "+
		"then 40 %% are confirmed (half of those orders cancelled), 10 %% declined and released, 25 %% released and 25 %% left to expire. "+
		"The load generator, the nodes, PostgreSQL and Redis share the machine's CPUs with other work.\n",
		r.Nodes, r.Rate, r.Sale.Round(time.Second), r.Sections, r.SeatsPerSection, quietSections)
	fmt.Fprintf(&b, "- Nodes: hold TTL %s, idempotency retention %s, outbox retention %s, notifications retention %s (the pruner runs every minute).\n",
		r.HoldTTL, r.IdempotencyRetention, r.OutboxRetention, r.NotificationsRetention)
	b.WriteString("- Samples: exact `count(*)` per table; held = holds in status held, overdue = of those, past `expires_at` + the slack; " +
		"outbox lag = age of the oldest unpublished record; RSS = VmRSS of each node process, heap = its Go heap in use (MiB, `go_memstats_heap_inuse_bytes`). " +
		"After the sale: a few holds on each quiet section and a burst on the busiest, then `kill -9` of the node holding the busiest section's lease; " +
		"each of its sections is probed from the survivors with one hold until a definite answer. The killed node is then started again, " +
		"the run waits for every hold to pass its expiry and the whole run is audited from the fans' records.\n\n")

	b.WriteString("| decisions | decisions/s | journeys | no definite answer | skipped arrivals | held past expiry + slack | audit |\n|---:|---:|---:|---:|---:|---:|---|\n")
	fmt.Fprintf(&b, "| %d | %.1f | %d | %d | %d | %d (slack %s) | %s |\n\n", r.Decisions, perSecond(r.Decisions, r.Sale), r.Journeys,
		r.Failed, r.Skipped, r.MaxOverdue(), r.ExpirySlack, auditText(r))
	fmt.Fprintf(&b, "Operations: %s.\n\n", opsText(r.Ops))

	nodes := nodeNames(r)
	b.WriteString("| t | decisions |")
	for _, t := range tables {
		b.WriteString(" " + t + " |")
	}
	b.WriteString(" held (overdue) | outbox lag (unpublished) |")
	for _, n := range nodes {
		b.WriteString(" RSS (heap) " + n + " |")
	}
	b.WriteString("\n|---:|---:|" + strings.Repeat("---:|", len(tables)+2+len(nodes)) + "\n")
	for _, s := range tableSamples(r) {
		fmt.Fprintf(&b, "| %s | %d |", s.label, s.Decisions)
		for _, t := range tables {
			fmt.Fprintf(&b, " %d |", s.Rows[t])
		}
		fmt.Fprintf(&b, " %d (%d) | %s (%d) |", s.Held, s.Overdue, secs(s.OutboxLag), s.Unpublished)
		for _, n := range nodes {
			if kb, ok := s.RSS[n]; ok {
				heap := "–"
				if h, ok := s.Heap[n]; ok {
					heap = fmt.Sprintf("%.0f", float64(h)/1024)
				}
				fmt.Fprintf(&b, " %s (%s) |", mib(kb), heap)
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}

	fmt.Fprintf(&b, "\nKill -9 of %s, which held the lease of the busiest section %s; a survivor declared it dead %s after the kill "+
		"(failure detection; no survivor may take a section over before it); started again, it was ready after %s. "+
		"Per section it hosted: from the kill to the survivor's log line saying it took the section over, "+
		"that minus the detection (the activation: routing, lease, loading the live holds), and from the kill to the first definite answer to a hold:\n\n",
		r.Kill.Victim, r.Kill.Busiest, msec(r.Kill.Detected), msec(r.Kill.Restart))
	b.WriteString("| section | live holds at the kill | taken over after kill -9 | activation after detection | first answer after kill -9 | answer |\n|---|---:|---:|---:|---:|---|\n")
	for _, a := range r.Kill.Activations {
		t, what := "none", "no definite answer"
		if a.Answered {
			t, what = msec(a.FirstAnswer), strings.TrimSpace(fmt.Sprintf("%d %s", a.Status, a.Code))
		}
		took, act := "–", "–"
		if a.TookOver > 0 {
			took = msec(a.TookOver)
			if r.Kill.Detected > 0 {
				act = msec(a.TookOver - r.Kill.Detected)
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", a.Section, a.LiveHolds, took, act, t, what)
	}
	return b.String()
}

// labelled is a sample with the label of its row.
type labelled struct {
	Sample
	label string
}

// tableSamples picks at most maxTableSamples of the sale's samples, evenly, always
// with its first and last, then the sample after the kill and the final one.
func tableSamples(r Result) []labelled {
	var out []labelled
	sale := r.Samples
	var afterKill *Sample
	if len(sale) > 0 && r.Kill.Victim != "" {
		afterKill = &sale[len(sale)-1]
		sale = sale[:len(sale)-1]
	}
	n := len(sale)
	keep := min(n, maxTableSamples-2)
	last := -1
	for i := range keep {
		j := i * (n - 1) / max(keep-1, 1)
		if j == last {
			continue
		}
		last = j
		out = append(out, labelled{sale[j], sale[j].At.Round(time.Second).String()})
	}
	if afterKill != nil {
		out = append(out, labelled{*afterKill, afterKill.At.Round(time.Second).String() + " (after the kill)"})
	}
	if r.Final.Rows != nil {
		out = append(out, labelled{r.Final, r.Final.At.Round(time.Second).String() + " (holds expired)"})
	}
	return out
}

func nodeNames(r Result) []string {
	seen := map[string]bool{}
	for _, s := range append(append([]Sample(nil), r.Samples...), r.Final) {
		for n := range s.RSS {
			seen[n] = true
		}
	}
	return sortedKeys(seen)
}

func auditText(r Result) string {
	if r.Audit.OK() {
		return fmt.Sprintf("0 violations (%d holds, %d orders read back, %d seats)", r.Audit.Holds, r.Audit.OrdersChecked, r.Audit.SeatsChecked)
	}
	return fmt.Sprintf("**%d violations**", r.Audit.Total())
}

func opsText(ops map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(ops) {
		parts = append(parts, fmt.Sprintf("%s %d", k, ops[k]))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func mib(kib int64) string { return fmt.Sprintf("%.0f MiB", float64(kib)/1024) }

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func msec(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }
