package cluster

import (
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// TestMemberAlive: members memberlist counts alive are alive, suspect and leaving ones
// included; dead and left ones are not, and neither is a member id this node does not
// know, such as the earlier process of a node restarted under its name. Before the node
// has joined, it cannot tell and says alive.
func TestMemberAlive(t *testing.T) {
	p, err := NewProvider(testConfig("self"))
	if err != nil {
		t.Fatal(err)
	}
	meta := func(id string) nodeMeta {
		return nodeMeta{Cluster: "ticketblitz-test", ID: id, Host: "127.0.0.1", Port: 9000, Kinds: []string{"section"}}
	}
	leaving := meta("id-leaving")
	leaving.Leaving = true
	record := func(m nodeMeta, state memberlist.NodeStateType) *memberRecord {
		return &memberRecord{raw: rawMeta(t, m), state: state, since: time.Now()}
	}
	p.self = meta("id-self")
	p.records = map[string]*memberRecord{
		"self":    record(meta("id-self"), memberlist.StateAlive),
		"other":   record(meta("id-other"), memberlist.StateAlive),
		"suspect": {raw: rawMeta(t, meta("id-suspect")), state: memberlist.StateAlive, suspect: true},
		"leaving": record(leaving, memberlist.StateAlive),
		"dead":    record(meta("id-dead"), memberlist.StateDead),
		"left":    record(meta("id-left"), memberlist.StateLeft),
		// node "restarted" was restarted: its record carries the new process's id.
		"restarted": record(meta("id-restarted-new"), memberlist.StateAlive),
	}
	if !p.MemberAlive("id-dead") {
		t.Fatal("a node that has not joined says a member is not alive")
	}
	p.markJoined()
	for id, want := range map[string]bool{
		"id-self": true, "id-other": true, "id-suspect": true, "id-leaving": true, "id-restarted-new": true,
		"id-dead": false, "id-left": false, "id-restarted-old": false, "": false,
	} {
		if got := p.MemberAlive(id); got != want {
			t.Errorf("MemberAlive(%q) = %v, want %v", id, got, want)
		}
	}
}
