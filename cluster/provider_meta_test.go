package cluster

import (
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"go.uber.org/zap"
)

// countingProvider is a provider with no memberlist: announcements are counted, the
// active count is whatever the test sets.
func countingProvider(t *testing.T, active *int, updates *int) *Provider {
	t.Helper()
	self := nodeMeta{Cluster: "tb", ID: "id-self", Host: "127.0.0.1", Port: 9000, Kinds: []string{"section"}}
	p := &Provider{
		log: zap.NewNop(), name: "self", self: self, announced: self,
		records:     map[string]*memberRecord{},
		countActive: func() int { return *active },
		updateNode:  func(time.Duration) error { *updates++; return nil },
	}
	b, err := encodeMeta(self)
	if err != nil {
		t.Fatal(err)
	}
	p.meta.Store(&b)
	return p
}

// announcedMeta decodes what NodeMeta hands memberlist.
func announcedMeta(t *testing.T, p *Provider) nodeMeta {
	t.Helper()
	m, err := decodeMeta(hooks{p: p}.NodeMeta(memberlist.MetaMaxSize))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRefreshCount(t *testing.T) {
	active, updates := 0, 0
	p := countingProvider(t, &active, &updates)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var last countRefresh

	p.refreshCount(t0, &last)
	if updates != 0 {
		t.Fatalf("%d announcements of an unchanged count, want 0", updates)
	}
	active = 3
	p.refreshCount(t0.Add(100*time.Millisecond), &last)
	if updates != 1 || announcedMeta(t, p).Sections != 3 {
		t.Fatalf("after the count rose to 3: %d announcements, metadata %+v", updates, announcedMeta(t, p))
	}
	// Within a second of the last announcement nothing goes out, however the count moves.
	active = 5
	p.refreshCount(t0.Add(600*time.Millisecond), &last)
	p.refreshCount(t0.Add(1000*time.Millisecond), &last)
	if updates != 1 || announcedMeta(t, p).Sections != 3 {
		t.Fatalf("within a second: %d announcements, metadata %+v", updates, announcedMeta(t, p))
	}
	p.refreshCount(t0.Add(1100*time.Millisecond), &last)
	if updates != 2 || announcedMeta(t, p).Sections != 5 {
		t.Fatalf("a second later: %d announcements, metadata %+v", updates, announcedMeta(t, p))
	}
	// Unchanged: nothing goes out, even long after.
	p.refreshCount(t0.Add(time.Minute), &last)
	if updates != 2 {
		t.Fatalf("%d announcements, want 2", updates)
	}

	// Leaving survives count refreshes, and the count keeps being announced while leaving.
	if err := p.announceLeaving(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.announceLeaving(time.Second); err != nil || updates != 3 {
		t.Fatalf("announcing the leave twice: %d announcements (want 3), %v", updates, err)
	}
	active = 0
	p.refreshCount(t0.Add(2*time.Minute), &last)
	m := announcedMeta(t, p)
	if updates != 4 || !m.Leaving || m.Sections != 0 || m.ID != "id-self" || m.Port != 9000 {
		t.Fatalf("after leaving and a count of 0: %d announcements, metadata %+v", updates, m)
	}
}

func TestCountOnlyUpdateIsTold(t *testing.T) {
	active, updates := 4, 0
	p := countingProvider(t, &active, &updates)
	other := nodeMeta{Cluster: "tb", ID: "id-other", Host: "127.0.0.1", Port: 9001, Kinds: []string{"section"}}
	node := func(m nodeMeta) *memberlist.Node {
		return &memberlist.Node{Name: "other", Addr: []byte{127, 0, 0, 1}, Port: 7946, Meta: rawMeta(t, m)}
	}
	p.noteNode(node(other), eventJoin)
	counted := other
	counted.Sections = 12
	p.noteNode(node(counted), eventUpdate)
	leaving := counted
	leaving.Leaving = true
	p.noteNode(node(leaving), eventUpdate)

	if len(p.events) != 3 {
		t.Fatalf("events %+v", p.events)
	}
	if e := p.events[1]; !e.countOnly || e.sections != 12 {
		t.Errorf("count update %+v, want countOnly with 12 sections", e)
	}
	if e := p.events[2]; e.countOnly {
		t.Errorf("leaving update %+v marked count-only", e)
	}

	p.records["self"] = &memberRecord{name: "self", raw: rawMeta(t, p.self), state: memberlist.StateAlive}
	for _, m := range p.Members() {
		switch m.Name {
		case "other":
			if m.Sections != 12 || m.Status != StatusLeaving {
				t.Errorf("other: %+v, want 12 sections, leaving", m)
			}
		case "self":
			if m.Sections != 4 || !m.Self {
				t.Errorf("self: %+v, want its live count 4", m)
			}
		}
	}
}
