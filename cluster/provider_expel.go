package cluster

import (
	"bytes"
	"strings"
	"time"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/hashicorp/memberlist"
	"go.uber.org/zap"
)

// A member declared dead is blocked by protoactor for good: its member id never returns
// to the topology, even when the member was only paused (GC, SIGSTOP, an overloaded host)
// and comes back. Such a zombie still believes it owns its activations. So every node
// tells the members it holds dead, or alive but blocked, that they are expelled: a
// best-effort UDP notice through memberlist, once a second per member, for as long as it
// remembers them (departedRetention). UDP datagrams wait in a paused process's socket
// buffer, so a zombie reads its notice as soon as it runs again.
//
// A node accepts a notice only from a sender still in its own topology: the sender gave
// up on it while it never gave up on the sender, so it is the one that was gone. When both
// blocked each other (a healed partition) neither side is more right; both keep running
// and the split stays, as protoactor leaves it, until an operator restarts one side. The
// notice names both member ids, so a process restarted on the same address ignores
// notices meant for its predecessor. A node that is leaving (its hand-over began) logs a
// notice and leaves as it was: the others block a departing member's id in any case.
// The sender logs the first notice to each member id at WARN, with why.

// expelPrefix starts every expulsion notice: expelPrefix + target id + "/" + sender id.
const expelPrefix = "ticketblitz/expelled/"

// noticeInterval is how often one member is told it is expelled.
const noticeInterval = time.Second

func expulsionNotice(target, sender string) []byte {
	return []byte(expelPrefix + target + "/" + sender)
}

// Expelled is closed when a member this node still counts in its topology tells it that
// it declared this node dead. protoactor there blocks this node's member id for good; the
// process should stop and start again, which gives it a new member id. A notice that
// reaches a node already leaving (its hand-over began) does not close it: the node logs
// it and finishes its leave.
func (p *Provider) Expelled() <-chan struct{} { return p.expelled }

// noteMessage handles a memberlist user message. It runs on memberlist's packet handler
// and must not block.
func (p *Provider) noteMessage(msg []byte) {
	rest, ok := bytes.CutPrefix(msg, []byte(expelPrefix))
	if !ok {
		return
	}
	target, sender, ok := strings.Cut(string(rest), "/")
	p.mu.Lock()
	self := p.self.ID
	accepted := ok && target == self && sender != self && p.topology[sender]
	p.mu.Unlock()
	if !ok || target != self {
		return
	}
	if !accepted {
		p.log.Debug("expulsion notice from a member outside the topology ignored", zap.String("node", p.name), zap.String("sender", sender))
		return
	}
	if p.leaving.Load() {
		// A leaving node has handed its activations over (or is doing so): the others
		// drop it from their topologies, which blocks its member id anyway, and it
		// stops once the hand-over ends. The notice changes nothing but the exit.
		p.log.Info("expulsion notice while leaving: the leave goes on",
			zap.String("node", p.name), zap.String("member_id", self), zap.String("by", sender))
		return
	}
	p.expelOnce.Do(func() {
		close(p.expelled)
		p.log.Error("expelled: another member declared this node dead; its member id is blocked for good",
			zap.String("node", p.name), zap.String("member_id", self), zap.String("by", sender))
		p.signal()
	})
}

// notice is one expulsion notice to send.
type notice struct {
	to memberlist.Address
	id string
}

// sendNotices tells the dead members, and the live ones protoactor keeps out of the
// topology, that they are expelled. members is the list just handed to protoactor; the
// worker calls it after publishing, so the recorded topology reflects that list.
func (p *Provider) sendNotices(now time.Time, members []*protocluster.Member) {
	offered := make(map[string]bool, len(members))
	for _, m := range members {
		offered[m.Id] = true
	}
	var out []notice
	p.mu.Lock()
	for name, r := range p.records {
		if name == p.name {
			continue
		}
		m, err := r.decode()
		if err != nil || m.Leaving || now.Sub(r.lastNotice) < noticeInterval {
			continue
		}
		var why string
		switch {
		case r.state == memberlist.StateDead:
			why = "declared dead"
		case r.refused():
			why = "refuses connections"
		case r.state == memberlist.StateAlive && offered[m.ID] && !p.topology[m.ID]:
			why = "alive but blocked"
		default:
			continue
		}
		r.lastNotice = now
		out = append(out, notice{to: memberlist.Address{Addr: r.gossipAddr, Name: name}, id: m.ID})
		if r.noticedID != m.ID {
			r.noticedID = m.ID
			p.log.Warn("telling a member it is expelled", zap.String("node", p.name), zap.String("member", name),
				zap.String("member_id", m.ID), zap.String("why", why))
		}
	}
	p.mu.Unlock()

	for _, n := range out {
		if err := p.ml.SendToAddress(n.to, expulsionNotice(n.id, p.self.ID)); err != nil {
			p.log.Debug("expulsion notice not sent", zap.String("member", n.to.Name), zap.Error(err))
		}
	}
}

// stallLimit is how long the worker may go without running before the node counts
// itself dead: it was stopped (SIGSTOP), frozen or starved for twice as long as the
// other members take to declare a silent member dead, so they have, and protoactor on
// them blocks this member id for good. Waiting for their expulsion notice would let the
// node serve stale activations meanwhile (fenced, but slowing the new owners down).
const stallLimit = 4 * time.Second

// stalled expels this node after a stall, unless it is alone in its topology (then
// nobody declared it dead).
func (p *Provider) stalled(gap time.Duration) {
	if !p.isJoined() {
		return
	}
	p.mu.Lock()
	others := 0
	for id := range p.topology {
		if id != p.self.ID {
			others++
		}
	}
	p.mu.Unlock()
	if others == 0 {
		return
	}
	p.expelOnce.Do(func() {
		close(p.expelled)
		p.log.Error("expelled: this node stalled for longer than failure detection, so the others declared it dead",
			zap.String("node", p.name), zap.Duration("stalled", gap))
		p.signal()
	})
}
