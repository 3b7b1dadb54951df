package main

import (
	"sync"
	"sync/atomic"
)

// drainRequest carries POST /api/v1/cluster/drain to the server's run loop: the first
// request starts the drain, later ones find it under way. From then on /readyz reports
// the node as draining.
type drainRequest struct {
	once      sync.Once
	requested chan struct{}
	draining  atomic.Bool
}

func newDrainRequest() *drainRequest {
	return &drainRequest{requested: make(chan struct{})}
}

// request starts the drain; it reports whether this call was the one that did.
func (d *drainRequest) request() bool {
	first := false
	d.once.Do(func() {
		first = true
		d.draining.Store(true)
		close(d.requested)
	})
	return first
}

// Requested is closed once a drain was requested.
func (d *drainRequest) Requested() <-chan struct{} { return d.requested }

// active reports whether a drain was requested.
func (d *drainRequest) active() bool { return d.draining.Load() }
