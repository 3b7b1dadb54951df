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
