package sched

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Plan describes the arrivals: a constant Rate per second, reached by a linear ramp
// over RampUp, stopping after Duration or Count arrivals (whichever comes first; at
// least one must be set).
type Plan struct {
	Rate     float64
	RampUp   time.Duration
	Duration time.Duration
	Count    int64
}

// Validate reports a plan that cannot run.
func (p Plan) Validate() error {
	var errs []error
	if !(p.Rate > 0) || math.IsInf(p.Rate, 0) {
		errs = append(errs, fmt.Errorf("rate %v: must be a positive number", p.Rate))
	}
	if p.RampUp < 0 || p.Duration < 0 || p.Count < 0 {
		errs = append(errs, errors.New("ramp-up, duration and count must not be negative"))
	}
	if p.Duration == 0 && p.Count == 0 {
		errs = append(errs, errors.New("give a duration or a request count"))
	}
	return errors.Join(errs...)
}

// Offset returns when arrival i (from 0) is due, counted from the start. During the
// ramp the rate grows linearly from 0, so arrivals there come at sqrt(2·RampUp·i/Rate).
func (p Plan) Offset(i int64) time.Duration {
	ramp := p.RampUp.Seconds()
	inRamp := p.Rate * ramp / 2
	var secs float64
	if float64(i) < inRamp {
		secs = math.Sqrt(2 * ramp * float64(i) / p.Rate)
	} else {
		secs = ramp + (float64(i)-inRamp)/p.Rate
	}
	return time.Duration(secs * float64(time.Second))
}

// Within reports whether arrival i belongs to the plan.
func (p Plan) Within(i int64) bool {
	if p.Count > 0 && i >= p.Count {
		return false
	}
	if p.Duration > 0 && p.Offset(i) >= p.Duration {
		return false
	}
	return true
}
