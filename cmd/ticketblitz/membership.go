package main

import (
	"sync/atomic"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/cluster"
	"github.com/ticketblitz/ticketblitz/events"
)

// nodeMembership is the section actors' view of who is alive: the cluster node's, once
// the node exists. The section kind is built before the node that runs it; until the node
// is set, every member counts as alive, so an activation waits for a lease as it would
// without a view.
type nodeMembership struct{ node atomic.Pointer[cluster.Node] }

var (
	_ actors.Membership = (*nodeMembership)(nil)
	_ events.Members    = (*nodeMembership)(nil)
)

func (m *nodeMembership) set(n *cluster.Node) { m.node.Store(n) }

// MemberAlive asks the node; true until there is one.
func (m *nodeMembership) MemberAlive(id string) bool {
	n := m.node.Load()
	return n == nil || n.MemberAlive(id)
}

// MemberID is this process's member id once the node exists, "" before.
func (m *nodeMembership) MemberID() string {
	if n := m.node.Load(); n != nil {
		return n.MemberID()
	}
	return ""
}

// MemberGone reports whether member, which ran as node, is known to be gone: not listed
// alive while a running member of the same name is (the node restarted, so the old
// process is over). A member declared dead is not gone: it may be a paused process that
// resumes (SIGSTOP, a long GC pause, a partition) and whose relay, not knowing it lost the
// lease, would publish its records a second time; its lease runs out instead. Nor is a
// member that left (a drain: it publishes until it exits and releases the lease), nor one
// this node has not heard of, nor any before the node exists: right after joining, a node
// may not know every live member yet.
func (m *nodeMembership) MemberGone(node, member string) bool {
	n := m.node.Load()
	if n == nil || member == "" {
		return false
	}
	return memberGone(n.Members(), node, member)
}

func memberGone(members []cluster.MemberInfo, node, member string) bool {
	replaced := false
	for _, mi := range members {
		if mi.ID == member && mi.Status != cluster.StatusDead {
			return false // listed and not dead: alive, suspect or leaving
		}
		if mi.Name == node && mi.ID != "" && mi.Status != cluster.StatusDead && mi.Status != cluster.StatusLeft {
			replaced = true
		}
	}
	return replaced
}
