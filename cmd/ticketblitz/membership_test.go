package main

import (
	"testing"

	"github.com/ticketblitz/ticketblitz/cluster"
)

// TestMemberGone: only a member whose node name now runs another process lets the relay
// take its lease at once; one declared dead (it may resume), one that left (a drain: it
// releases the lease as it exits) and one this node has not heard of do not.
func TestMemberGone(t *testing.T) {
	members := []cluster.MemberInfo{
		{Name: "node1", ID: "m1-new", Status: cluster.StatusAlive},
		{Name: "node2", ID: "m2", Status: cluster.StatusAlive},
		{Name: "node3", ID: "m3", Status: cluster.StatusDead},
		{Name: "node4", ID: "m4", Status: cluster.StatusLeft},
		{Name: "node5", ID: "m5", Status: cluster.StatusSuspect},
	}
	for _, c := range []struct {
		node, member string
		gone         bool
	}{
		{"node2", "m2", false},     // alive
		{"node5", "m5", false},     // suspect: still serving
		{"node3", "m3", false},     // declared dead: may be a paused process that resumes
		{"node4", "m4", false},     // left: draining, its relay may still publish until it exits
		{"node1", "m1-old", true},  // restarted: its name now runs another process
		{"node6", "m6", false},     // not heard of yet
		{"node3", "m3-old", false}, // its name is known only as a dead process
	} {
		if got := memberGone(members, c.node, c.member); got != c.gone {
			t.Errorf("memberGone(%s, %s) = %v, want %v", c.node, c.member, got, c.gone)
		}
	}
	if (&nodeMembership{}).MemberGone("node3", "m3") {
		t.Error("a membership without a node says a member is gone")
	}
}
