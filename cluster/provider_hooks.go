package cluster

import (
	"bytes"
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/memberlist"
)

// hooks receives memberlist's callbacks. The event callbacks run under memberlist's node
// lock: they copy the node (the only moment its fields can be read without racing
// memberlist's in-place updates), queue an event and wake the worker. They never call
// protoactor or memberlist.
type hooks struct{ p *Provider }

// NodeMeta implements memberlist.Delegate. The metadata was sized at start.
func (h hooks) NodeMeta(int) []byte { return *h.p.meta.Load() }

// NotifyMsg implements memberlist.Delegate: the one user message is the expulsion notice.
func (h hooks) NotifyMsg(msg []byte) { h.p.noteMessage(msg) }

// GetBroadcasts implements memberlist.Delegate; nothing is broadcast.
func (h hooks) GetBroadcasts(int, int) [][]byte { return nil }

// LocalState implements memberlist.Delegate; there is no extra state.
func (h hooks) LocalState(bool) []byte { return nil }

// MergeRemoteState implements memberlist.Delegate; there is no extra state.
func (h hooks) MergeRemoteState([]byte, bool) {}

// NotifyJoin implements memberlist.EventDelegate (also called for this node at start).
func (h hooks) NotifyJoin(n *memberlist.Node) { h.p.noteNode(n, eventJoin) }

// NotifyLeave implements memberlist.EventDelegate: the node died or left. (The node's
// State field is not maintained by memberlist; the node's last metadata tells.)
func (h hooks) NotifyLeave(n *memberlist.Node) { h.p.noteNode(n, eventLeave) }

// NotifyUpdate implements memberlist.EventDelegate: the node's metadata or address changed.
func (h hooks) NotifyUpdate(n *memberlist.Node) { h.p.noteNode(n, eventUpdate) }

// AckPayload implements memberlist.PingDelegate.
func (h hooks) AckPayload() []byte { return nil }

// NotifyPingComplete implements memberlist.PingDelegate: a direct probe was answered.
// Name is the one node field memberlist never rewrites, so it is safe to read here.
func (h hooks) NotifyPingComplete(other *memberlist.Node, _ time.Duration, _ []byte) {
	h.p.noteAck(other.Name, time.Now())
}

type eventKind int

const (
	eventJoin eventKind = iota
	eventLeave
	eventUpdate
	// eventRefused: the refusal prober marked the member lost (see provider_refusal.go).
	eventRefused
)

// memberEvent is a membership change waiting to be traced by the worker.
type memberEvent struct {
	kind eventKind
	name string
	left bool // a leave that was announced
	// countOnly marks an update that changed nothing but the member's section count.
	countOnly bool
	sections  int
	// lostAlready marks a leave of a member the refusal prober had marked lost: its loss
	// was reported then.
	lostAlready bool
	// id and addr are a refused member's id and remoting address.
	id, addr string
}

// memberRecord is this node's copy of one memberlist node.
type memberRecord struct {
	name       string
	gossipAddr string
	raw        []byte
	state      memberlist.NodeStateType // alive, dead or left, from the callbacks
	since      time.Time                // when it joined or went
	lastAck    time.Time                // last answered direct probe
	lastNotice time.Time                // last expulsion notice sent to it
	noticedID  string                   // the member id whose first notice was logged
	suspect    bool                     // maintained by the worker
	// refusedID is the member id the refusal prober marked lost on this record: the
	// member is lost while the record still carries that id.
	refusedID string

	decoded bool
	meta    nodeMeta
	metaErr error
	warned  bool
}

func (r *memberRecord) decode() (nodeMeta, error) {
	if !r.decoded {
		r.meta, r.metaErr = decodeMeta(r.raw)
		r.decoded = true
	}
	return r.meta, r.metaErr
}

// refused reports whether the refusal prober marked the member the record now describes
// lost.
func (r *memberRecord) refused() bool {
	if r.refusedID == "" {
		return false
	}
	m, err := r.decode()
	return err == nil && m.ID == r.refusedID
}

func (r *memberRecord) departed() bool {
	return r.state == memberlist.StateDead || r.state == memberlist.StateLeft
}

// noteNode copies n into the records and queues the event. memberlist holds its node
// lock; Provider.mu is taken inside it, never the other way round.
func (p *Provider) noteNode(n *memberlist.Node, kind eventKind) {
	name, addr := n.Name, n.Address()
	raw := bytes.Clone(n.Meta)
	now := time.Now()

	p.mu.Lock()
	r := p.records[name]
	if r == nil {
		r = &memberRecord{name: name}
		p.records[name] = r
	}
	r.gossipAddr = addr
	before, beforeErr := r.decode()
	changed := !bytes.Equal(r.raw, raw)
	if changed {
		r.raw, r.decoded, r.warned = raw, false, false
	}
	after, afterErr := r.decode()
	countOnly := kind == eventUpdate && changed && beforeErr == nil && afterErr == nil && sameBesidesCount(before, after)
	switch kind {
	case eventJoin:
		r.state, r.since, r.lastAck, r.suspect = memberlist.StateAlive, now, time.Time{}, false
	case eventLeave:
		r.state, r.since, r.suspect = memberlist.StateDead, now, false
		if m, err := r.decode(); err == nil && m.Leaving {
			r.state = memberlist.StateLeft
		}
	}
	p.queueLocked(memberEvent{kind: kind, name: name, left: r.state == memberlist.StateLeft,
		countOnly: countOnly, sections: after.Sections, lostAlready: kind == eventLeave && r.refused()})
	p.mu.Unlock()

	p.signal()
}

// queueLocked queues e for the worker, dropping the oldest event when the queue is full;
// p.mu is held.
func (p *Provider) queueLocked(e memberEvent) {
	if len(p.events) >= maxPendingEvents {
		p.events = p.events[1:]
		p.dropped++
	}
	p.events = append(p.events, e)
}

func (p *Provider) noteAck(name string, at time.Time) {
	p.mu.Lock()
	if r := p.records[name]; r != nil {
		r.lastAck = at
	}
	p.mu.Unlock()
}

// infoLocked describes r; p.mu is held.
func (p *Provider) infoLocked(r *memberRecord) MemberInfo {
	info := MemberInfo{
		Name:          r.name,
		GossipAddress: r.gossipAddr,
		Status:        statusOf(r),
		Self:          r.name == p.name,
	}
	if m, err := r.decode(); err == nil {
		info.ID = m.ID
		info.Address = net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
		info.Kinds = append([]string(nil), m.Kinds...)
		info.InTopology = p.topology[m.ID]
		info.Sections = m.Sections
	}
	if info.Self && p.countActive != nil {
		// This node's own count is read live rather than from its last announcement.
		info.Sections = p.countActive()
	}
	return info
}

func statusOf(r *memberRecord) MemberStatus {
	switch {
	case r.state == memberlist.StateLeft:
		return StatusLeft
	case r.state == memberlist.StateDead, r.refused():
		return StatusDead
	case r.decoded && r.metaErr == nil && r.meta.Leaving:
		return StatusLeaving
	case r.suspect:
		return StatusSuspect
	default:
		return StatusAlive
	}
}
