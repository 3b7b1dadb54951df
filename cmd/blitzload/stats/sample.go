package stats

import "time"

// Sample is one request as the load client saw it.
type Sample struct {
	// Endpoint names the route, e.g. "POST /holds".
	Endpoint string
	// Scheduled is when an open-model run meant to send the request; zero for
	// closed-loop callers. Latency is measured from it when set, so time spent waiting
	// for a free worker is not hidden (coordinated omission).
	Scheduled time.Time
	Start     time.Time
	End       time.Time
	// Status is the HTTP status, 0 when no answer arrived.
	Status int
	// Code is the API error code of a refusal.
	Code string
	// Error marks failures: no answer, 5xx, or a 4xx no correct client should get.
	Error bool
	// Decision marks a section decision answered: a commit or a definite refusal of a
	// hold, release, confirm, cancel or extend.
	Decision bool
	// DurableHold marks a hold answered 201 (the server answers after the commit).
	DurableHold bool
}

// Latency returns the latency of s: from Scheduled when set, else from Start.
func (s Sample) Latency() time.Duration {
	from := s.Start
	if !s.Scheduled.IsZero() {
		from = s.Scheduled
	}
	return s.End.Sub(from)
}

// Lag returns how late the request started compared with its schedule (zero for
// closed-loop samples).
func (s Sample) Lag() time.Duration {
	if s.Scheduled.IsZero() || s.Start.Before(s.Scheduled) {
		return 0
	}
	return s.Start.Sub(s.Scheduled)
}
