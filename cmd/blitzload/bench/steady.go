package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/scenario"
)

// SteadyStep is one rung of the steady ladder: the offered arrival rate and what the
// strategy made of it.
type SteadyStep struct {
	// Rate is the offered load, hold arrivals per second.
	Rate    float64           `json:"rate"`
	Outcome *scenario.Outcome `json:"outcome,omitempty"`
}

// ParseRates reads a comma-separated list of positive arrival rates ("1000,4000").
func ParseRates(s string) ([]float64, error) {
	var out []float64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, err := strconv.ParseFloat(part, 64)
		if err != nil || !(v > 0) {
			return nil, fmt.Errorf("rate %q: want a positive number of arrivals per second", part)
		}
		out = append(out, v)
	}
	return out, nil
}

// steadyConfig is the steady scenario of one rung. Every strategy gets exactly this
// configuration for a given rate: the same seed (so the same arrival times, seats,
// users and confirm/release choices), the same sections, workers and timeout.
func steadyConfig(c Config, base scenario.Config, rate float64) scenario.Config {
	s := base
	s.Scenario, s.Rate, s.Duration = scenario.Steady, rate, c.SteadyDuration
	s.Sections, s.Workers, s.Users, s.RowSize = c.SteadySections, c.SteadyWorkers, c.SteadyUsers, 50
	s.MaxLate = c.SteadyMaxLate
	s.Seats = steadySeats(rate, c.SteadyDuration, c.SteadySections)
	return s
}

// steadySeats sizes each section so that every arrival of the rung gets a seat no
// earlier arrival asked for (the scenario walks the seats in order): refusals then
// come only from contention, never from reusing seats. At least 2,000 seats, whole
// rows of 50, at most the 10,000 a section may have.
func steadySeats(rate float64, d time.Duration, sections int) int {
	if sections < 1 {
		sections = 1
	}
	need := int(rate*d.Seconds())/sections + 1
	seats := max(2000, (need+49)/50*50)
	return min(seats, 10000)
}

// runSteady runs every rung of the ladder in order, each on a fresh event.
func runSteady(ctx context.Context, c Config, base scenario.Config, newEnv func() *scenario.Env, strategy string) ([]SteadyStep, error) {
	var steps []SteadyStep
	for _, rate := range c.SteadyRates {
		cfg := steadyConfig(c, base, rate)
		fmt.Fprintf(c.Out, "bench: %s steady: %s holds/s offered for %s over %d sections of %d seats, %d workers\n",
			strategy, thousands(rate), c.SteadyDuration, cfg.Sections, cfg.Seats, cfg.Workers)
		env := newEnv()
		env.Label = fmt.Sprintf("%s steady %s/s", strategy, thousands(rate))
		out, err := scenario.Execute(ctx, env, cfg, false)
		if err != nil {
			return steps, fmt.Errorf("steady %s/s: %w", thousands(rate), err)
		}
		steps = append(steps, SteadyStep{Rate: rate, Outcome: out})
	}
	return steps, nil
}
