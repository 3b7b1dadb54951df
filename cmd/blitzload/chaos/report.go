package chaos

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// WriteText prints one scenario's result for people.
func WriteText(w io.Writer, r Result) {
	verdict := "PASS"
	if !r.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\n== chaos %s: %s ==\n", r.Scenario, verdict)
	fmt.Fprintf(w, "cluster      %d nodes, %d fans, sale %s, %d decisions (%.0f/s), p50 %s, p99 %s\n", r.Nodes, r.Fans,
		r.Sale.Round(time.Millisecond), r.Decisions, float64(r.Decisions)/r.Sale.Seconds(), ms(r.P50), ms(r.P99))
	fmt.Fprintf(w, "fault        %s\n", faultLine(r))
	switch r.Scenario {
	case None:
	case Add:
		fmt.Fprintf(w, "rebalance    %s (new node ready → last moved section answering there)\n", dur(r.Rebalance))
	default:
		fmt.Fprintf(w, "failover     %s (fault → first answer on the slowest moved section)\n", dur(r.Failover))
	}
	for _, sec := range sortedKeys(r.FailoverBySection) {
		fmt.Fprintf(w, "  %-10s %s\n", sec, dur(r.FailoverBySection[sec]))
	}
	fmt.Fprintf(w, "fans' errors %d failed attempts %s; %d operations ran out of retries (%d settled afterwards, %d unknown)\n",
		r.FailedAttempts(), failList(r.Fails), r.GivenUp, r.Settled, r.Unknown)
	fmt.Fprintf(w, "slowest      %s (an operation overlapping the fault window, retries included)\n", dur(r.SlowestDuringFault))
	fmt.Fprintf(w, "audit        %d violations (%d records, %d holds, %d orders, %d seats)\n",
		r.Audit.Total(), r.Audit.Records, r.Audit.Holds, r.Audit.Orders, r.Audit.SeatsChecked)
	for _, v := range r.Audit.Violations {
		fmt.Fprintf(w, "  %s: %s\n", v.Kind, v.Detail)
	}
	fmt.Fprintf(w, "linearizable %s (%d seats, %d operations", yesNo(r.Linear.OK()), r.Linear.Seats, r.Linear.Ops)
	if len(r.Unsound) > 0 {
		fmt.Fprintf(w, "; not checked: %s", strings.Join(r.Unsound, ", "))
	}
	fmt.Fprintln(w, ")")
	if !r.Linear.OK() {
		fmt.Fprint(w, indent(r.Linear.String()))
	}
	fmt.Fprintf(w, "event stream %s (%d messages, %d sections)\n", yesNo(r.Stream.OK()), r.Stream.Messages, r.Stream.Sections)
	for _, v := range r.Stream.Violations {
		fmt.Fprintf(w, "  %s %s: %s\n", v.Kind, v.Key, v.Detail)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note         %s\n", n)
	}
	fmt.Fprintf(w, "logs         %s\n", r.WorkDir)
}

// faultLine describes the fault and the victim's fate.
func faultLine(r Result) string {
	moved := strings.Join(r.Moved, " ")
	switch r.Scenario {
	case Kill:
		return fmt.Sprintf("kill -9 %s (hosted %s)", r.Victim, moved)
	case Stop:
		return fmt.Sprintf("SIGSTOP %s (hosted %s), SIGCONT later: %s", r.Victim, moved, exitLine(r, "after SIGCONT"))
	case Drain:
		return fmt.Sprintf("drain %s (hosted %s): %d, %s", r.Victim, moved, r.DrainStatus, exitLine(r, "after the request"))
	case Restart:
		return fmt.Sprintf("kill -9 %s (hosted %s), restarted on the same addresses, ready after %s", r.Victim, moved, dur(r.Started))
	case Add:
		return fmt.Sprintf("%s added, ready after %s; sections moved onto it: %s", r.Victim, dur(r.Started), moved)
	case None:
		return "none"
	}
	return string(r.Scenario)
}

func exitLine(r Result, since string) string {
	if !r.Exited {
		return "the process did not exit"
	}
	return fmt.Sprintf("the process exited with status %d %s %s", r.ExitCode, dur(r.ExitAfter), since)
}

func failList(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dur(d time.Duration) string {
	if d == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// Markdown renders the results as BENCHMARKS.md's chaos section: the faults' table, and
// the throughput by cluster size when runs without a fault are among them.
func Markdown(results []Result, machine, command, date string) string {
	var faults, plain []Result
	for _, r := range results {
		if r.Scenario == None {
			plain = append(plain, r)
		} else {
			faults = append(faults, r)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Cluster chaos: failover, rebalance and the fans' errors\n\n")
	fmt.Fprintf(&b, "Written by `blitzload chaos` on %s.\n\n- Machine: %s.\n- Command: `%s`\n", date, machine, command)
	fans := "the fans"
	if len(faults) > 0 {
		fans = fmt.Sprintf("%d fans (the runs without a fault: as listed)", faults[0].Fans)
	}
	fmt.Fprintf(&b, "- Each run: a fresh database, a `ticketblitz broker` process and the node processes on loopback; %s spread over the nodes by a simulated load balancer (each node's /readyz every 250 ms), each looping hold → confirm/decline/release/abandon with seat-map reads (10–40 ms think time), retrying a failed attempt on the next node with the same idempotency key. Faults come after the warm-up; the sale goes on for a fixed time after it. Fans, broker, nodes, PostgreSQL and Redis share the machine's 2 CPUs.\n", fans)
	b.WriteString("- Failover: fault → first definite answer to an operation started after the fault, on the slowest of the sections the victim hosted. Rebalance (add): new node ready → first answer served after the lease of the last section that moved onto it moved. Latencies are whole operations, retries included.\n\n")
	if len(faults) > 0 {
		b.WriteString("| scenario | fault | failover / rebalance | decisions (/s) | p50 / p99 | failed attempts | ran out of retries (settled / unknown) | slowest op in fault window | audit | linearizable | stream exactly-once, in order |\n")
		b.WriteString("|---|---|---:|---:|---:|---|---:|---:|---|---|---|\n")
		for _, r := range faults {
			t := r.Failover
			if r.Scenario == Add {
				t = r.Rebalance
			}
			fails := fmt.Sprintf("%d %s", r.FailedAttempts(), failList(r.Fails))
			fmt.Fprintf(&b, "| %s | %s | %s | %d (%.0f) | %s / %s | %s | %d (%d / %d) | %s | %s | %s | %s |\n",
				r.Scenario, strings.ReplaceAll(faultLine(r), "|", "/"), dur(t), r.Decisions, float64(r.Decisions)/r.Sale.Seconds(),
				ms(r.P50), ms(r.P99), strings.TrimSpace(fails), r.GivenUp, r.Settled, r.Unknown, dur(r.SlowestDuringFault),
				verdict(r.Audit.OK(), r.Audit.Total()), yesNo(r.Linear.OK()), yesNo(r.Stream.OK()))
		}
	}
	if len(plain) > 0 {
		b.WriteString("\nThroughput by cluster size (no fault):\n\n| nodes | fans | decisions | decisions/s | p50 / p99 | audit | linearizable | stream |\n|---:|---:|---:|---:|---:|---|---|---|\n")
		for _, r := range plain {
			fmt.Fprintf(&b, "| %d | %d | %d | %.0f | %s / %s | %s | %s | %s |\n", r.Nodes, r.Fans, r.Decisions,
				float64(r.Decisions)/r.Sale.Seconds(), ms(r.P50), ms(r.P99), verdict(r.Audit.OK(), r.Audit.Total()),
				yesNo(r.Linear.OK()), yesNo(r.Stream.OK()))
		}
	}
	return b.String()
}

func verdict(ok bool, n int) string {
	if ok {
		return "0 violations"
	}
	return fmt.Sprintf("**%d violations**", n)
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 60 {
		lines = append(lines[:60], fmt.Sprintf("… %d more lines", len(lines)-60))
	}
	return "  " + strings.Join(lines, "\n  ") + "\n"
}
