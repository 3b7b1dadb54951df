package cluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestMetaRoundTrip(t *testing.T) {
	in := nodeMeta{Cluster: "tb", ID: "member-1", Host: "10.0.0.1", Port: 8090, Kinds: []string{"section", "prototopic"}}
	b, err := encodeMeta(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Cluster != in.Cluster || out.ID != in.ID || out.Host != in.Host || out.Port != in.Port ||
		!slices.Equal(out.Kinds, []string{"prototopic", "section"}) || out.Leaving {
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
	for _, raw := range []string{"", "{", `{"id":"","host":"h","port":1}`, `{"id":"m","host":"","port":1}`, `{"id":"m","host":"h","port":0}`, `{"id":"m","host":"h","port":70000}`} {
		if m, err := decodeMeta([]byte(raw)); err == nil {
			t.Errorf("decoded %q as %+v", raw, m)
		}
	}
}
