package persistence

import (
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
)

// testOwner is the owner the store tests activate as.
const testOwner = "node-t/member-t/act_t"

// An activation learns from the section row who owned the section before it and whether
// that activation handed it over: the first activation follows nobody, one after a
// recorded hand-over follows a clean stop, one after an activation that recorded none
// (a crash) is a takeover. A hand-over of an epoch already superseded records nothing.
func TestStoreActivationKnowsWhetherItsPredecessorHandedOver(t *testing.T) {
	s, _ := storeNew(t)
	ev := storeFixtureEvent(t, s)
	key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
	activate := func(owner string) *actors.Snapshot {
		t.Helper()
		snap, err := s.Activate(storeCtx(t), key, owner, storeKeyWindow)
		if err != nil {
			t.Fatalf("activate as %s: %v", owner, err)
		}
		return snap
	}
	handOver := func(epoch int64) {
		t.Helper()
		if err := s.HandOver(storeCtx(t), key, epoch); err != nil {
			t.Fatalf("hand over epoch %d: %v", epoch, err)
		}
	}

	first := activate("n1/m1/act_1")
	if first.Orphaned || first.PrevOwner != "" {
		t.Fatalf("first activation: orphaned %v, previous owner %q; want neither", first.Orphaned, first.PrevOwner)
	}
	handOver(first.Epoch)
	second := activate("n2/m2/act_2")
	if second.Orphaned || second.PrevOwner != "n1/m1/act_1" {
		t.Fatalf("after a hand-over: orphaned %v, previous owner %q; want a clean follow-up of n1/m1/act_1", second.Orphaned, second.PrevOwner)
	}
	// The second activation crashes: no hand-over.
	third := activate("n1/m3/act_3")
	if !third.Orphaned || third.PrevOwner != "n2/m2/act_2" {
		t.Fatalf("after a crash: orphaned %v, previous owner %q; want a takeover from n2/m2/act_2", third.Orphaned, third.PrevOwner)
	}
	// A late hand-over of the crashed epoch is fenced out; the third's own one counts.
	handOver(second.Epoch)
	handOver(third.Epoch)
	if fourth := activate("n1/m3/act_4"); fourth.Orphaned {
		t.Fatal("after the third activation handed over: orphaned")
	}
	handOver(third.Epoch) // superseded: records nothing
	if fifth := activate("n1/m3/act_5"); !fifth.Orphaned {
		t.Fatal("a hand-over of an older epoch made the fourth activation's crash look clean")
	}
}
