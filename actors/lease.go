package actors

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// leaseKeeper holds a section's Redis lease for one activation: it acquires it (waiting
// at most one TTL for a previous owner), renews it every third of the TTL from its own
// goroutine, and releases it with compare-and-delete. Losing it is traced and logged;
// the fence, not the lease, keeps the section safe.
type leaseKeeper struct {
	cfg   *SectionConfig
	name  string
	owner string
	stop  chan struct{}
	done  chan struct{}
}

func newLeaseKeeper(cfg *SectionConfig, key SectionKey) *leaseKeeper {
	return &leaseKeeper{cfg: cfg, name: "section:" + key.Identity(), owner: cfg.NodeName + "/" + NewID("act_")}
}

func (l *leaseKeeper) trace(action string) {
	l.cfg.Tracer.Trace(Trace{Type: TraceLease, At: time.Now(), Node: l.cfg.NodeName, Actor: l.name, Action: action})
}

// acquire takes the lease, waiting up to one TTL while someone else holds it, then
// proceeds without it (a crashed owner's lease simply runs out).
func (l *leaseKeeper) acquire() {
	ttl := l.cfg.LeaseTTL
	deadline := time.Now().Add(ttl)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ok, err := l.cfg.Leases.Acquire(ctx, l.name, l.owner, ttl)
		cancel()
		if err != nil {
			l.cfg.Logger.Warn("lease unavailable; activating without it", zap.String("lease", l.name), zap.Error(err))
			break
		}
		if ok {
			l.trace("acquire")
			break
		}
		if time.Now().After(deadline) {
			l.cfg.Logger.Warn("lease still held by another activation; proceeding, the fence decides", zap.String("lease", l.name))
			l.trace("contended")
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go l.renew()
}

func (l *leaseKeeper) renew() {
	defer close(l.done)
	t := time.NewTicker(l.cfg.LeaseTTL / 3)
	defer t.Stop()
	held := true
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.cfg.LeaseTTL/3)
		ok, err := l.cfg.Leases.Renew(ctx, l.name, l.owner, l.cfg.LeaseTTL)
		if err == nil && !ok {
			// Lost (expired or taken): try to take it back if it is free.
			ok, err = l.cfg.Leases.Acquire(ctx, l.name, l.owner, l.cfg.LeaseTTL)
		}
		cancel()
		switch {
		case err == nil && ok && !held:
			held = true
			l.trace("acquire")
		case err == nil && ok:
			l.trace("renew")
		case held:
			held = false
			l.trace("lose")
		}
	}
}

// release stops renewing and deletes the lease if this activation still holds it.
func (l *leaseKeeper) release() {
	if l.stop == nil {
		return
	}
	close(l.stop)
	<-l.done
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := l.cfg.Leases.Release(ctx, l.name, l.owner); err != nil {
		l.cfg.Logger.Warn("lease release failed", zap.String("lease", l.name), zap.Error(err))
		return
	}
	l.trace("release")
}
