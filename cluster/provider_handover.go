package cluster

import (
	"context"
	"time"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// ActionHandOver is the member trace of a graceful leave's hand-over; its Millis is how
// long the hand-over took and its Outcome "complete" or "incomplete".
const ActionHandOver = "handover"

const (
	// handOverPoll is how often the hand-over checks the local activation count.
	handOverPoll = 20 * time.Millisecond
	// nudgeInterval is how often activations that outlive the self-less topology are
	// pointed at it again: a member that had not yet seen the leave may have activated
	// an identity here after the placement actor went through its list.
	nudgeInterval = 250 * time.Millisecond
)

// HandOver is what a graceful leave's hand-over achieved.
type HandOver struct {
	// Sections is how many activations were on the node when the hand-over began.
	Sections int
	// Remaining is how many were still active when it ended; 0 means every one stopped.
	Remaining int
	// Took is how long the hand-over took.
	Took time.Duration
}

// handOver starts a graceful leave without leaving yet: it announces Leaving in the
// metadata (the other members drop this node from their topologies and place its
// identities elsewhere) and has the worker publish a topology without this node, on which
// disthash's placement actor poisons every local activation (its Stopping handler answers
// what is queued with a retryable error and releases the activation's lease, so the next
// activation elsewhere starts at once). It then waits until the local activation count
// is zero or ctx ends, calling nudge with the published members every nudgeInterval so
// that activations that arrived late are stopped too. Memberlist keeps running: the node
// still relays requests for the identities it hosted until they are gone. ok is false
// when there was nothing to hand over from (not joined, or stopping already).
func (p *Provider) handOver(ctx context.Context, nudge func(members []*protocluster.Member)) (h HandOver, ok bool) {
	if p.ml == nil || !p.isJoined() {
		return h, false
	}
	p.mu.Lock()
	stopped := p.stopped
	p.mu.Unlock()
	if stopped || !p.leaving.CompareAndSwap(false, true) {
		return h, false
	}
	began := time.Now()
	h.Sections = p.countActive()
	timeout := defaultLeaveTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = max(min(timeout, time.Until(deadline)), time.Millisecond)
	}
	if err := p.announceLeaving(timeout); err != nil {
		p.log.Warn("announcing the leave", zap.String("node", p.name), zap.Error(err))
	}
	p.signal()

	poll := time.NewTicker(handOverPoll)
	defer poll.Stop()
	lastNudge := time.Now()
	for h.Remaining = p.countActive(); h.Remaining > 0; h.Remaining = p.countActive() {
		select {
		case <-ctx.Done():
			h.Took = time.Since(began)
			p.reportHandOver(h)
			return h, true
		case <-poll.C:
		}
		if time.Since(lastNudge) < nudgeInterval {
			continue
		}
		lastNudge = time.Now()
		if members, selfLess := p.publishedWithoutSelf(); selfLess && nudge != nil {
			nudge(members)
		}
	}
	h.Took = time.Since(began)
	p.reportHandOver(h)
	return h, true
}

// publishedWithoutSelf returns the member list last handed to protoactor, and whether it
// already leaves this node out.
func (p *Provider) publishedWithoutSelf() ([]*protocluster.Member, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.published {
		if m.Id == p.self.ID {
			return nil, false
		}
	}
	return append([]*protocluster.Member(nil), p.published...), true
}

func (p *Provider) reportHandOver(h HandOver) {
	outcome := "complete"
	if h.Remaining > 0 {
		outcome = "incomplete"
		p.log.Warn("hand-over cut short: activations still running here stop with the node",
			zap.String("node", p.name), zap.Int("sections", h.Sections), zap.Int("remaining", h.Remaining), zap.Duration("took", h.Took))
	} else {
		p.log.Info("sections handed over", zap.String("node", p.name), zap.Int("sections", h.Sections), zap.Duration("took", h.Took))
	}
	p.tracer.Trace(actors.Trace{Type: actors.TraceMember, At: time.Now(), Node: p.name, Action: ActionHandOver,
		Member: p.name, Outcome: outcome, Millis: float64(h.Took.Microseconds()) / 1000})
}
