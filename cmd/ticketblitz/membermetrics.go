package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ticketblitz/ticketblitz/actors"
)

// memberCounter counts membership changes (join, leave, suspect, alive) from the
// cluster's member traces, and passes every trace on.
type memberCounter struct {
	next    actors.Tracer
	changes *prometheus.CounterVec
}

func newMemberCounter(next actors.Tracer, reg prometheus.Registerer) (*memberCounter, error) {
	c := &memberCounter{next: next, changes: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ticketblitz_membership_changes_total", Help: "Cluster membership changes this node saw, by action.",
	}, []string{"action"})}
	if err := reg.Register(c.changes); err != nil {
		return nil, err
	}
	return c, nil
}

// Trace counts member traces and forwards every trace.
func (c *memberCounter) Trace(t actors.Trace) {
	if t.Type == actors.TraceMember {
		c.changes.WithLabelValues(t.Action).Inc()
	}
	c.next.Trace(t)
}
