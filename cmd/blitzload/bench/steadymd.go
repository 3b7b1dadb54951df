package bench

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/scenario"
)

// steadyOutcome returns the strategy's outcome at the i-th rung of the ladder, or nil.
func steadyOutcome(s StrategyResult, i int, rate float64) *scenario.Outcome {
	if i >= len(s.Steady) || s.Steady[i].Rate != rate {
		return nil
	}
	return s.Steady[i].Outcome
}

// steadyRows builds the table's rows of every rung of the steady ladder.
func steadyRows(r *Result, get func(func(StrategyResult) float64) []float64) []row {
	var out []row
	for i, rate := range r.Config.SteadyRates {
		at := func(f func(*scenario.Outcome) float64) []float64 {
			return get(func(s StrategyResult) float64 {
				o := steadyOutcome(s, i, rate)
				if o == nil {
					return math.NaN()
				}
				return f(o)
			})
		}
		label := "steady " + thousands(rate) + "/s offered: "
		out = append(out,
			row{label + "durable holds/s (201s) while offered", at(func(o *scenario.Outcome) float64 { return holdsWhileOffered(o, r.Config.SteadyDuration) }), perSec, true},
			row{label + "durable holds/s (201s) to the last answer", at(func(o *scenario.Outcome) float64 { return o.Summary.DurableHoldsPerSec }), perSec, true},
			row{label + "hold p50 (from the scheduled time)", at(func(o *scenario.Outcome) float64 { return latencyOf(o, api.EndpointHold).P50 }), ms, true},
			row{label + "hold p99 (from the scheduled time)", at(func(o *scenario.Outcome) float64 { return latencyOf(o, api.EndpointHold).P99 }), ms, true},
			row{label + "holds not granted (409, 5xx, no answer)", at(func(o *scenario.Outcome) float64 { return o.Result.Numbers["not_held"] }), integer, false},
			row{label + "arrivals dropped (no worker free in time)", at(func(o *scenario.Outcome) float64 { return o.Result.Numbers["dropped"] }), integer, false},
		)
	}
	return out
}

// holdsWhileOffered is the 201s answered in the first d of the run (while arrivals were
// offered) per second: the steady-state rate, without the tail in which the last
// requests drain (up to the request timeout for a saturated strategy).
func holdsWhileOffered(o *scenario.Outcome, d time.Duration) float64 {
	secs := int(d / time.Second)
	if secs < 1 {
		return o.Summary.DurableHoldsPerSec
	}
	var n int64
	for _, s := range o.Summary.Timeline {
		if s.Second < secs {
			n += s.DurableHolds
		}
	}
	return float64(n) / float64(secs)
}

// steadyText describes the steady ladder and what makes its comparison fair.
func steadyText(c Config) string {
	rates := make([]string, len(c.SteadyRates))
	for i, v := range c.SteadyRates {
		rates[i] = thousands(v) + "/s"
	}
	d := scenario.DefaultConfig()
	return fmt.Sprintf("- steady: an open-model schedule of hold arrivals at %s (one run per rate, %s each, a fresh event of %d sections sized so that no seat is asked for twice); arrival i asks for one explicit seat of section i mod %d, the seats taken in order; each hold is then confirmed (%.0f%%) or released. %s workers, one keep-alive connection each, and %s users.\n"+
		"- steady, why the comparison is fair: both strategies get the same offered load, arrival for arrival (same seed: the same times, seats, users and follow-ups), the same workers and timeout, a fresh server and database each. Latency counts from the scheduled time, so waiting for a free worker counts. An arrival no worker could start within %s of its time is dropped and counted, by the same rule for both, so a saturated strategy is measured at its capacity rather than working off a backlog for minutes. Durable holds/s is a strategy's capacity only where the offered load exceeds it (it shows as drops, refusals or durable holds/s below the offered rate); where a strategy keeps up with the offered rate, its number and the ratio are lower bounds. \"While offered\" counts the 201s answered during the %s the arrivals were offered; \"to the last answer\" divides every 201 by the time until the last request ended (the drain included).\n",
		strings.Join(rates, ", "), c.SteadyDuration, c.SteadySections, c.SteadySections, d.ConfirmShare*100,
		thousands(float64(c.SteadyWorkers)), thousands(float64(c.SteadyUsers)), c.SteadyMaxLate, c.SteadyDuration)
}
