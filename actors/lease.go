package actors

import (
	"context"
	"strings"
	"time"

	"go.uber.org/zap"
)

const (
	// leaseRetry is how often acquire asks again while another activation holds the lease.
	leaseRetry = 50 * time.Millisecond
	// leaseExpirySlack absorbs the delay between Redis answering PTTL and the clock being
	// read: a lease taken later than its expected expiry minus this ran out; one taken
	// earlier was released by its owner, which handed the section over.
	leaseExpirySlack = 2 * leaseRetry
)

// leaseKeeper holds a section's Redis lease for one activation: it acquires it (waiting
// at most one TTL for a previous owner, or none when that owner's process is no longer
// alive), renews it every third of the TTL from its own goroutine, and releases it with
// compare-and-delete. Losing it is traced and logged; the fence, not the lease, keeps the
// section safe.
type leaseKeeper struct {
	cfg   *SectionConfig
	name  string
	owner string // "<node name>/<member id>/<activation id>"
	stop  chan struct{}
	done  chan struct{}
	// prevRenewal is the estimated time of the previous owner's last renewal. It is set
	// only when that owner did not hand the lease over: acquire found it held and it ran
	// out instead of being released, or acquire took it from a member no longer alive. A
	// renewal sets the lease's TTL to the full LeaseTTL, so it happened LeaseTTL -
	// remaining before the lease was first seen.
	prevRenewal time.Time
	// takenFrom is the member whose lease acquire took over at once because it is no
	// longer alive ("" otherwise).
	takenFrom string
	// freeAt is when acquire found the lease free at its first attempt (zero otherwise):
	// any previous owner renewed it last a full TTL before that, at the latest.
	freeAt time.Time
}

// activationOwner names a new activation on member (the process's cluster member id)
// of node: "<node name>/<member id>/<activation id>". The node name leads, for people and
// tools that read leases and section rows to tell where a section lives; the member id
// says which process.
func activationOwner(node, member string) string {
	return node + "/" + member + "/" + NewID("act_")
}

// newLeaseKeeper returns the keeper of key's lease for the activation owner (see
// activationOwner).
func newLeaseKeeper(cfg *SectionConfig, key SectionKey, owner string) *leaseKeeper {
	return &leaseKeeper{cfg: cfg, name: "section:" + key.Identity(), owner: owner}
}

// leaseMember returns the member id of a lease owner "<node name>/<member id>/<activation
// id>", read from the right (a node name may hold a slash; ids do not). An owner of two
// parts, "<name>/<activation id>", yields its name.
func leaseMember(owner string) string {
	i := strings.LastIndex(owner, "/")
	if i < 0 {
		return ""
	}
	rest := owner[:i]
	return rest[strings.LastIndex(rest, "/")+1:]
}

func (l *leaseKeeper) trace(action string) {
	l.cfg.Tracer.Trace(Trace{Type: TraceLease, At: time.Now(), Node: l.cfg.NodeName, Actor: l.name, Action: action})
}

// acquire takes the lease, waiting up to one TTL while someone else holds it, then
// proceeds without it (a crashed owner's lease simply runs out). An owner whose member
// this node's membership view says is no longer alive (a process killed, or restarted
// under a new member id) is not waited for: its lease is taken over at once with a
// compare-and-set on its value. That is safe for the same reason proceeding without a
// lease is: should that owner still run after all (a partition, a wrong view), its next
// batch meets the epoch this activation bumps and is fenced out. Time is the section
// clock's; the number of attempts is bounded too, so a stopped fake clock cannot hold an
// activation forever.
func (l *leaseKeeper) acquire() {
	ttl := l.cfg.LeaseTTL
	clock := l.cfg.Clock
	deadline := clock.Now().Add(ttl)
	maxAttempts := int(ttl/leaseRetry) + 2
	var prev, expiry time.Time
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ok, holder, err := l.cfg.Leases.Acquire(ctx, l.name, l.owner, ttl)
		if err == nil && !ok && attempt == 1 && holder.Remaining > 0 && holder.Remaining <= ttl {
			now := clock.Now()
			prev, expiry = now.Add(holder.Remaining-ttl), now.Add(holder.Remaining)
		}
		if err == nil && !ok && l.gone(holder.Owner) {
			ok, err = l.cfg.Leases.TakeOver(ctx, l.name, holder.Owner, l.owner, ttl)
			if err == nil && ok {
				l.takenFrom = leaseMember(holder.Owner)
				if l.prevRenewal = prev; prev.IsZero() { // its time left was unknown
					l.prevRenewal = clock.Now()
				}
			}
		}
		cancel()
		if err != nil {
			l.cfg.Logger.Warn("lease unavailable; activating without it", zap.String("lease", l.name), zap.Error(err))
			break
		}
		if ok {
			if attempt == 1 && l.takenFrom == "" {
				l.freeAt = clock.Now()
			}
			if l.takenFrom == "" && !prev.IsZero() && !clock.Now().Before(expiry.Add(-leaseExpirySlack)) {
				l.prevRenewal = prev // it ran out: its owner stopped without handing over
			}
			l.trace("acquire")
			break
		}
		if !clock.Now().Before(deadline) || attempt >= maxAttempts {
			l.cfg.Logger.Warn("lease still held by another activation; proceeding, the fence decides", zap.String("lease", l.name))
			l.trace("contended")
			break
		}
		time.Sleep(leaseRetry)
	}
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go l.renew()
}

// gone reports whether owner's member is known to be no longer alive.
func (l *leaseKeeper) gone(owner string) bool {
	member := leaseMember(owner)
	return member != "" && l.cfg.Membership != nil && !l.cfg.Membership.MemberAlive(member)
}

// takeover returns how long the section went without a serving activation, when this
// one took over from an owner who did not hand over: from that owner's estimated last
// renewal until ready. The owner stopped at most a renewal interval (LeaseTTL/3) after
// that renewal, so the figure overstates the gap since it stopped by up to LeaseTTL/3.
func (l *leaseKeeper) takeover(ready time.Time) (time.Duration, bool) {
	if l == nil || l.prevRenewal.IsZero() {
		return 0, false
	}
	return ready.Sub(l.prevRenewal), true
}

// freeFor returns a lower bound of how long the section went without a serving
// activation, when acquire found the lease free: a previous owner renewed it a full TTL
// before that at the latest, so at least TTL plus the time since until ready.
func (l *leaseKeeper) freeFor(ready time.Time) (time.Duration, bool) {
	if l == nil || l.freeAt.IsZero() {
		return 0, false
	}
	return l.cfg.LeaseTTL + ready.Sub(l.freeAt), true
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
			ok, _, err = l.cfg.Leases.Acquire(ctx, l.name, l.owner, l.cfg.LeaseTTL)
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
