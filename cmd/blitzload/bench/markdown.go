package bench

import (
	"fmt"
	"math"
	"strings"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/benchfile"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/scenario"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
)

// The markers around the section blitzload bench owns.
const (
	BeginMarker = "<!-- blitzload:bench:begin -->"
	EndMarker   = "<!-- blitzload:bench:end -->"
)

const fileHeader = `# TicketBlitz benchmarks

The section between the blitzload markers is written by ` + "`blitzload bench`" + ` (` + "`make bench`" + `):
the actor design and the classic designs (lock, pg) side by side on the same machine, with the
machine's raw PostgreSQL and Redis numbers for reference. Do not edit its numbers by hand;
run the benchmark again.

`

// WriteSection replaces the marked section of path with section (markers included),
// appending it when the file has none and creating the file when missing.
func WriteSection(path, section string) error {
	return benchfile.Write(path, BeginMarker, EndMarker, section, fileHeader)
}

// ReplaceSection returns doc with its marked section replaced by section, or with
// section appended when doc has no complete section.
func ReplaceSection(doc, section string) string {
	return benchfile.Replace(doc, BeginMarker, EndMarker, section)
}

// row is one line of the comparison table.
type row struct {
	label  string
	values []float64
	format func(float64) string
	// ratio: show the first strategy's value over each other's (actor/lock, actor/pg).
	ratio bool
}

func latencyOf(o *scenario.Outcome, endpoint string) stats.Latency {
	if o == nil {
		return stats.Latency{}
	}
	e, _ := o.Summary.Endpoint(endpoint)
	return e.Latency
}

func ms(v float64) string      { return fmt.Sprintf("%.2f ms", v) }
func count(v float64) string   { return thousands(v) }
func perSec(v float64) string  { return thousands(v) + "/s" }
func mib(v float64) string     { return fmt.Sprintf("%.0f MiB", v/1024) }
func seconds(v float64) string { return fmt.Sprintf("%.2f s", v) }
func integer(v float64) string { return fmt.Sprintf("%.0f", v) }

// rows builds the comparison table's rows.
func rows(r *Result) []row {
	get := func(f func(StrategyResult) float64) []float64 {
		out := make([]float64, len(r.Strategies))
		for i, s := range r.Strategies {
			out[i] = f(s)
		}
		return out
	}
	hot := func(f func(*scenario.Outcome) float64) []float64 {
		return get(func(s StrategyResult) float64 {
			if s.Hot == nil {
				return 0
			}
			return f(s.Hot)
		})
	}
	flash := func(f func(*scenario.Outcome) float64) []float64 {
		return get(func(s StrategyResult) float64 {
			if s.Flash == nil {
				return math.NaN() // this strategy did not run the flash sale
			}
			return f(s.Flash)
		})
	}
	hotLat := func(pick func(stats.Latency) float64) []float64 {
		return hot(func(o *scenario.Outcome) float64 { return pick(latencyOf(o, api.EndpointHold)) })
	}
	conns := 0
	for _, s := range r.Strategies {
		conns = max(conns, s.Connections)
	}
	flashRSS := func(f func(StrategyResult) float64) []float64 {
		return get(func(s StrategyResult) float64 {
			if s.Flash == nil {
				return math.NaN()
			}
			return f(s)
		})
	}
	out := []row{
		{"hot: durable holds/s", hot(func(o *scenario.Outcome) float64 { return o.Summary.DurableHoldsPerSec }), perSec, true},
		{"hot: decisions/s (holds + releases)", hot(func(o *scenario.Outcome) float64 { return o.Summary.DecisionsPerSec }), perSec, true},
		{"hot: hold p50", hotLat(func(l stats.Latency) float64 { return l.P50 }), ms, true},
		{"hot: hold p90", hotLat(func(l stats.Latency) float64 { return l.P90 }), ms, true},
		{"hot: hold p99", hotLat(func(l stats.Latency) float64 { return l.P99 }), ms, true},
		{"hot: hold p99.9", hotLat(func(l stats.Latency) float64 { return l.P999 }), ms, true},
		{"hot: hold max", hotLat(func(l stats.Latency) float64 { return l.Max }), ms, true},
		{"hot: errors", hot(func(o *scenario.Outcome) float64 { return float64(o.Summary.Errors) }), integer, false},
		{"flash: sale duration (all fans done)", flash(func(o *scenario.Outcome) float64 { return o.Summary.Seconds }), seconds, true},
		{"flash: decisions/s", flash(func(o *scenario.Outcome) float64 { return o.Summary.DecisionsPerSec }), perSec, true},
		{"flash: hold p50", flash(func(o *scenario.Outcome) float64 { return latencyOf(o, api.EndpointHold).P50 }), ms, true},
		{"flash: hold p99", flash(func(o *scenario.Outcome) float64 { return latencyOf(o, api.EndpointHold).P99 }), ms, true},
		{"flash: hold max", flash(func(o *scenario.Outcome) float64 { return latencyOf(o, api.EndpointHold).Max }), ms, true},
		{"flash: confirm p99", flash(func(o *scenario.Outcome) float64 { return latencyOf(o, api.EndpointConfirm).P99 }), ms, true},
		{"flash: winners", flash(func(o *scenario.Outcome) float64 { return o.Result.Numbers["winners"] }), count, false},
		{"flash: seats sold (orders kept)", flash(func(o *scenario.Outcome) float64 { return o.Result.Numbers["seats_sold"] }), count, false},
		{"flash: errors", flash(func(o *scenario.Outcome) float64 { return float64(o.Summary.Errors) }), integer, false},
	}
	out = append(out, steadyRows(r, get)...)
	return append(out,
		row{"server RSS idle (after hot)", flashRSS(func(s StrategyResult) float64 { return float64(s.RSSIdle) }), mib, true},
		row{fmt.Sprintf("server RSS with %s fan connections open", thousands(float64(conns))), flashRSS(func(s StrategyResult) float64 { return float64(s.RSSConnected) }), mib, true},
		row{"server RSS peak during flash", flashRSS(func(s StrategyResult) float64 { return float64(s.RSSPeak) }), mib, true},
		row{"audit violations (every run)", get(func(s StrategyResult) float64 { return float64(s.Violations()) }), integer, false},
	)
}

// Markdown renders the marked section: when and where, the command, the table and the
// raw references.
func Markdown(r *Result) string {
	var b strings.Builder
	c := r.Config
	b.WriteString(BeginMarker + "\n")
	names := make([]string, len(r.Strategies))
	for i, s := range r.Strategies {
		names[i] = s.Strategy
	}
	fmt.Fprintf(&b, "## Side by side: %s\n\n", strings.Join(names, " vs "))
	fmt.Fprintf(&b, "Written by `blitzload bench` on %s (took %s).\n\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Ended.Sub(r.Started).Round(1e9))
	fmt.Fprintf(&b, "- Machine: %s.\n", r.Machine)
	fmt.Fprintf(&b, "- Command: `%s`\n", r.Command)
	fmt.Fprintf(&b, "- hot: %s callers, each its own user and connection, loop hold (1 seat, %s) then release on a fresh 2,000-seat section (40 rows × 50) for %s. A 201 is a durable hold: the server answers after the commit.\n",
		thousands(float64(c.HotCallers)), hotModeText(c.HotMode), c.HotDuration)
	d := scenario.DefaultConfig()
	pct := func(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }
	fmt.Fprintf(&b, "- flash: %s fans, each its own token and keep-alive connection, wait at a barrier and rush a fresh %s-seat section at one instant for %d–%d adjacent seats (best available on SEAT_UNAVAILABLE); winners: %s pay (%s of them then cancel), %s are declined (%s of those then pay, the rest release), %s release, %s abandon to expiry.\n",
		thousands(float64(c.FlashFans)), thousands(float64(c.FlashSeats)), d.MinSeats, d.MaxSeats,
		pct(d.ConfirmShare), pct(d.CancelShare), pct(d.DeclineShare), pct(d.DeclineRetryShare), pct(d.ReleaseShare), pct(d.AbandonShare))
	if len(c.FlashStrategies) > 0 {
		fmt.Fprintf(&b, "- flash ran on %s only (`--flash-strategies`); the others show –.\n", strings.Join(c.FlashStrategies, ", "))
	}
	if len(c.SteadyRates) > 0 {
		b.WriteString(steadyText(c))
	}
	b.WriteString("- Every run is audited from the fans' own records (no double hold or sale, every confirmed order read back, final seat maps explained).\n")
	b.WriteString("- The load client and the server share the machine's CPUs; latency ratios below 1× favour the first column.\n\n")

	b.WriteString("| measure |")
	for _, s := range r.Strategies {
		fmt.Fprintf(&b, " %s |", s.Strategy)
	}
	// One ratio column per other strategy: the first one's value over its.
	ratios := max(len(r.Strategies)-1, 0)
	for _, s := range r.Strategies[min(1, len(r.Strategies)):] {
		fmt.Fprintf(&b, " %s/%s |", r.Strategies[0].Strategy, s.Strategy)
	}
	b.WriteString("\n|---|")
	for range len(r.Strategies) + ratios {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, rw := range rows(r) {
		fmt.Fprintf(&b, "| %s |", rw.label)
		for _, v := range rw.values {
			cell := "–"
			if !math.IsNaN(v) {
				cell = rw.format(v)
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		for i := 1; i <= ratios; i++ {
			cell := ""
			if rw.ratio {
				cell = ratio(rw.values[0], rw.values[i])
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	if len(r.Refs) > 0 {
		b.WriteString("\nRaw references on the same machine:\n\n| reference | command | result |\n|---|---|---:|\n")
		for _, ref := range r.Refs {
			cmd := ref.Command
			if cmd != "" {
				cmd = "`" + cmd + "`"
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", ref.Name, cmd, ref.Cell())
		}
	}
	b.WriteString("\n" + EndMarker + "\n")
	return b.String()
}

func hotModeText(mode string) string {
	if mode == "random" {
		return "a random explicit seat"
	}
	return "best available"
}
