package cluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	protocluster "github.com/asynkron/protoactor-go/cluster"
)

func TestMetaRoundTrip(t *testing.T) {
	in := nodeMeta{Cluster: "tb", ID: "member-1", Host: "10.0.0.1", Port: 8090, Kinds: []string{"section", "prototopic"}, Sections: 17}
	b, err := encodeMeta(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Cluster != in.Cluster || out.ID != in.ID || out.Host != in.Host || out.Port != in.Port ||
		!slices.Equal(out.Kinds, []string{"prototopic", "section"}) || out.Leaving || out.Sections != 17 {
		t.Errorf("decoded %+v from %+v", out, in)
	}
	m := out.member()
	if m.Id != "member-1" || m.Address() != "10.0.0.1:8090" || len(m.Kinds) != 2 {
		t.Errorf("member %+v", m)
	}
}

func TestMetaTooLarge(t *testing.T) {
	var kinds []string
	for i := range 40 {
		kinds = append(kinds, fmt.Sprintf("kind-with-a-long-name-%02d", i))
	}
	_, err := encodeMeta(nodeMeta{ID: "m", Host: "h", Port: 1, Kinds: kinds})
	if err == nil || !strings.Contains(err.Error(), "at most 512") {
		t.Errorf("error %v, want a size error", err)
	}
}

func TestMetaDecodeRejects(t *testing.T) {
	for _, raw := range []string{"", "{", `{"id":"","host":"h","port":1}`, `{"id":"m","host":"","port":1}`, `{"id":"m","host":"h","port":0}`, `{"id":"m","host":"h","port":70000}`, `{"id":"m","host":"h","port":1,"sections":-1}`} {
		if m, err := decodeMeta([]byte(raw)); err == nil {
			t.Errorf("decoded %q as %+v", raw, m)
		}
	}
}

func TestMetaWithoutSectionsDecodes(t *testing.T) {
	// A node that announced no count (or a count of zero) reads as zero sections.
	m, err := decodeMeta([]byte(`{"cluster":"tb","id":"m","host":"h","port":1,"kinds":["section"]}`))
	if err != nil || m.Sections != 0 {
		t.Fatalf("decoded %+v, %v; want 0 sections", m, err)
	}
	b, err := encodeMeta(nodeMeta{Cluster: "tb", ID: "m", Host: "h", Port: 1})
	if err != nil || strings.Contains(string(b), "sections") {
		t.Fatalf("encoded %s, %v; want no sections field for zero", b, err)
	}
}

func TestSameBesidesCount(t *testing.T) {
	base := nodeMeta{Cluster: "tb", ID: "m", Host: "h", Port: 1, Kinds: []string{"section"}, Sections: 3}
	counted := base
	counted.Sections = 9
	if !sameBesidesCount(base, counted) {
		t.Error("a count change counts as a metadata change")
	}
	if topologyKey([]*protocluster.Member{base.member()}) != topologyKey([]*protocluster.Member{counted.member()}) {
		t.Error("the section count changes the topology key")
	}
	for name, change := range map[string]func(*nodeMeta){
		"leaving": func(m *nodeMeta) { m.Leaving = true },
		"port":    func(m *nodeMeta) { m.Port = 2 },
		"id":      func(m *nodeMeta) { m.ID = "other" },
		"kinds":   func(m *nodeMeta) { m.Kinds = []string{"section", "other"} },
		"cluster": func(m *nodeMeta) { m.Cluster = "other" },
		"host":    func(m *nodeMeta) { m.Host = "h2" },
	} {
		other := base
		change(&other)
		if sameBesidesCount(base, other) {
			t.Errorf("%s change not seen", name)
		}
	}
}
