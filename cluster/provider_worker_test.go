package cluster

import (
	"slices"
	"testing"
	"time"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/hashicorp/memberlist"
)

func rawMeta(t *testing.T, m nodeMeta) []byte {
	t.Helper()
	b, err := encodeMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ids(members []*protocluster.Member) []string {
	var out []string
	for _, m := range members {
		out = append(out, m.Id)
	}
	return out
}

func TestBuildView(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	meta := func(id string) nodeMeta {
		return nodeMeta{Cluster: "tb", ID: id, Host: "127.0.0.1", Port: 9000, Kinds: []string{"section"}}
	}
	leaving := meta("id-leaving")
	leaving.Leaving = true
	foreign := meta("id-foreign")
	foreign.Cluster = "other"
	alive := func(m nodeMeta, since, ack time.Time) *memberRecord {
		return &memberRecord{raw: rawMeta(t, m), state: memberlist.StateAlive, since: since, lastAck: ack}
	}
	records := map[string]*memberRecord{
		"self":      alive(meta("id-self"), now.Add(-time.Hour), time.Time{}),
		"fresh":     alive(meta("id-fresh"), now.Add(-time.Hour), now.Add(-100*time.Millisecond)),
		"quiet":     alive(meta("id-quiet"), now.Add(-time.Hour), now.Add(-5*time.Second)),
		"joining":   alive(meta("id-joining"), now.Add(-100*time.Millisecond), time.Time{}),
		"broken":    {raw: []byte("{"), state: memberlist.StateAlive, since: now.Add(-time.Hour), lastAck: now},
		"foreign":   alive(foreign, now.Add(-time.Hour), now),
		"leaving":   alive(leaving, now.Add(-time.Hour), now),
		"unlisted":  alive(meta("id-unlisted"), now.Add(-time.Hour), now),
		"dead":      {raw: rawMeta(t, meta("id-dead")), state: memberlist.StateDead, since: now.Add(-time.Second)},
		"long-gone": {raw: rawMeta(t, meta("id-gone")), state: memberlist.StateLeft, since: now.Add(-2 * departedRetention)},
	}
	for name, r := range records {
		r.name = name
	}
	live := map[string]bool{"self": true, "fresh": true, "quiet": true, "joining": true, "broken": true, "foreign": true, "leaving": true}

	v := buildView(records, live, "tb", "self", DefaultProbeInterval, now)

	// Suspects stay: a false suspicion must not block a member id for good.
	if got, want := ids(v.members), []string{"id-fresh", "id-joining", "id-quiet", "id-self"}; !slices.Equal(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
	if !slices.Equal(v.suspected, []string{"quiet"}) || len(v.recovered) != 0 {
		t.Errorf("suspected %v recovered %v, want [quiet] []", v.suspected, v.recovered)
	}
	if len(v.invalid) != 2 || v.invalid["broken"] == nil || v.invalid["foreign"] == nil {
		t.Errorf("invalid %v, want broken and foreign", v.invalid)
	}
	if _, ok := records["long-gone"]; ok {
		t.Error("departed member kept past retention")
	}
	if _, ok := records["dead"]; !ok {
		t.Error("recently dead member forgotten")
	}
	p := &Provider{name: "self", topology: map[string]bool{"id-self": true}}
	for name, want := range map[string]MemberStatus{"self": StatusAlive, "quiet": StatusSuspect, "leaving": StatusLeaving, "dead": StatusDead} {
		info := p.infoLocked(records[name])
		if info.Status != want {
			t.Errorf("%s: status %s, want %s", name, info.Status, want)
		}
		if info.Self != (name == "self") || info.InTopology != (name == "self") {
			t.Errorf("%s: %+v", name, info)
		}
	}

	// The quiet member answers again; problems are reported once.
	records["quiet"].lastAck = now.Add(time.Second)
	v = buildView(records, live, "tb", "self", DefaultProbeInterval, now.Add(time.Second))
	if !slices.Equal(v.recovered, []string{"quiet"}) || len(v.suspected) != 0 || len(v.invalid) != 0 {
		t.Errorf("second pass: recovered %v suspected %v invalid %v", v.recovered, v.suspected, v.invalid)
	}
}

func TestTopologyKey(t *testing.T) {
	a := []*protocluster.Member{{Id: "a", Host: "h", Port: 1, Kinds: []string{"k"}}}
	same := []*protocluster.Member{{Id: "a", Host: "h", Port: 1, Kinds: []string{"k"}}}
	b := []*protocluster.Member{{Id: "a", Host: "h", Port: 2, Kinds: []string{"k"}}}
	if topologyKey(a) == topologyKey(b) || topologyKey(a) != topologyKey(same) {
		t.Error("topology key does not tell member lists apart")
	}
}
