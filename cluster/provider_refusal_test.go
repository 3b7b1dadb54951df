package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/hashicorp/memberlist"
)

// fakeDialer answers each address's dials from a script of outcomes, the last one
// repeating, and counts the dials.
type fakeDialer struct {
	mu     sync.Mutex
	script map[string][]error
	dials  map[string]int
}

func newFakeDialer() *fakeDialer {
	return &fakeDialer{script: map[string][]error{}, dials: map[string]int{}}
}

func (d *fakeDialer) set(addr string, outcomes ...error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.script[addr] = outcomes
}

func (d *fakeDialer) count(addr string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dials[addr]
}

func (d *fakeDialer) dial(_ context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if network != "tcp" {
		return nil, fmt.Errorf("network %q", network)
	}
	d.dials[addr]++
	s := d.script[addr]
	if len(s) == 0 {
		return nil, fmt.Errorf("no script for %s", addr)
	}
	err := s[0]
	if len(s) > 1 {
		d.script[addr] = s[1:]
	}
	if err != nil {
		return nil, err
	}
	c1, c2 := net.Pipe()
	_ = c2.Close()
	return c1, nil
}

// The errors a dial returns, wrapped the way the net package wraps them.
var (
	errRefused     = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	errTimeout     = &net.OpError{Op: "dial", Net: "tcp", Err: context.DeadlineExceeded}
	errUnreachable = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}
	errReset       = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNRESET)}
)

func lostIDs(ts []probeTarget) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.id)
	}
	return out
}

func TestRefusalProberDecides(t *testing.T) {
	if !isRefusal(errRefused) || isRefusal(errTimeout) || isRefusal(errUnreachable) || isRefusal(errReset) {
		t.Fatal("isRefusal must accept ECONNREFUSED and nothing else")
	}
	self := probeTarget{name: "self", id: "id-self", addr: "10.0.0.1:1"}
	refusing := probeTarget{name: "refusing", id: "id-refusing", addr: "10.0.0.2:1"}
	slow := probeTarget{name: "slow", id: "id-slow", addr: "10.0.0.3:1"}
	other := probeTarget{name: "other", id: "id-other", addr: "10.0.0.4:1"}
	flaky := probeTarget{name: "flaky", id: "id-flaky", addr: "10.0.0.5:1"}
	healthy := probeTarget{name: "healthy", id: "id-healthy", addr: "10.0.0.6:1"}

	d := newFakeDialer()
	d.set(self.addr, errRefused)
	d.set(refusing.addr, errRefused)
	d.set(slow.addr, errTimeout)
	d.set(other.addr, errUnreachable, errReset, errors.New("too many open files"))
	// Refused, then answered on the confirming dial, then refused, then answered.
	d.set(flaky.addr, errRefused, nil, errRefused, nil)
	d.set(healthy.addr, nil)
	pr := newRefusalProber(d.dial)
	pr.confirm = 0
	targets := []probeTarget{self, refusing, slow, other, flaky, healthy}

	lost := pr.round(context.Background(), self.id, targets)
	if got := lostIDs(lost); len(got) != 1 || got[0] != refusing.id {
		t.Fatalf("first round lost %v, want only %s (refused twice in a row)", got, refusing.id)
	}
	if n := d.count(refusing.addr); n != 2 {
		t.Errorf("the refusing member was dialled %d times, want 2: a refusal is confirmed at once", n)
	}
	if n := d.count(self.addr); n != 0 {
		t.Errorf("this node was dialled %d times, want never", n)
	}
	if n := d.count(slow.addr); n != 1 {
		t.Errorf("the slow member was dialled %d times in one round, want 1: a timeout is not confirmed", n)
	}

	for round := 2; round <= 5; round++ {
		if lost := pr.round(context.Background(), self.id, targets[2:]); len(lost) > 0 {
			t.Fatalf("round %d lost %v: timeouts, other errors and a refusal followed by an answer never count", round, lostIDs(lost))
		}
	}
	if n := d.count(flaky.addr); n < 4 {
		t.Errorf("the flaky member was dialled %d times, want its refusals each confirmed", n)
	}
	if pr.refused[flaky.id] != 0 {
		t.Errorf("flaky's refusal count %d after an answer, want 0", pr.refused[flaky.id])
	}

	// A success resets a count carried over from a round: refused (count 1), then a
	// success before the confirming dial completes the pair.
	pr2 := newRefusalProber(d.dial)
	pr2.confirm = 0
	mixed := probeTarget{name: "mixed", id: "id-mixed", addr: "10.0.0.7:1"}
	d.set(mixed.addr, errRefused, nil, errRefused, errTimeout, errRefused, errRefused)
	for round := 1; round <= 2; round++ {
		if lost := pr2.round(context.Background(), self.id, []probeTarget{mixed}); len(lost) > 0 {
			t.Fatalf("round %d lost %v: a success or a timeout between refusals resets the count", round, lostIDs(lost))
		}
	}
	if lost := pr2.round(context.Background(), self.id, []probeTarget{mixed}); len(lostIDs(lost)) != 1 {
		t.Fatalf("third round lost %v, want mixed after two refusals in a row", lostIDs(lost))
	}

	// A member no longer listed is forgotten.
	pr3 := newRefusalProber(d.dial)
	pr3.confirm = 0
	d.set(other.addr, errRefused, nil)
	pr3.refused[other.id] = 1
	pr3.refused["id-gone"] = 1
	pr3.round(context.Background(), self.id, []probeTarget{other})
	if _, ok := pr3.refused["id-gone"]; ok {
		t.Error("a member no longer probed is still counted")
	}
}

// The provider's side: a member the prober marks lost is no longer alive, leaves the
// topology, is reported once, and memberlist's later death is not a second report.
func TestRefusedMemberIsLostOnce(t *testing.T) {
	p, err := NewProvider(testConfig("node-1"))
	if err != nil {
		t.Fatal(err)
	}
	p.name, p.self = "node-1", nodeMeta{Cluster: p.cfg.ClusterName, ID: "id-1", Host: "127.0.0.1", Port: 1}
	p.markJoined()
	meta2 := nodeMeta{Cluster: p.cfg.ClusterName, ID: "id-2", Host: "127.0.0.1", Port: 2}
	leaving := nodeMeta{Cluster: p.cfg.ClusterName, ID: "id-3", Host: "127.0.0.1", Port: 3, Leaving: true}
	for name, m := range map[string]nodeMeta{"node-1": p.self, "node-2": meta2, "node-3": leaving} {
		raw, err := encodeMeta(m)
		if err != nil {
			t.Fatal(err)
		}
		p.noteNode(fakeNode(name, raw), eventJoin)
	}
	targets := p.probeTargets()
	if len(targets) != 1 || targets[0].id != "id-2" || targets[0].addr != "127.0.0.1:2" {
		t.Fatalf("probe targets %+v, want node-2 alone (not this node, not a leaving one)", targets)
	}
	if !p.MemberAlive("id-2") {
		t.Fatal("node-2 not alive before any refusal")
	}
	p.markRefused(targets[0])
	p.markRefused(targets[0]) // a second mark reports nothing
	if p.MemberAlive("id-2") {
		t.Error("node-2 still alive after it was marked lost")
	}
	if len(p.probeTargets()) != 0 {
		t.Error("a lost member is still probed")
	}
	p.mu.Lock()
	live := map[string]bool{"node-1": true, "node-2": true, "node-3": true}
	v := buildView(p.records, live, p.cfg.ClusterName, p.name, DefaultProbeInterval, p.records["node-2"].since)
	status := statusOf(p.records["node-2"])
	p.mu.Unlock()
	for _, m := range v.members {
		if m.Id == "id-2" {
			t.Errorf("topology %v still holds the lost member", v.members)
		}
	}
	if status != StatusDead {
		t.Errorf("status of the lost member %q, want dead", status)
	}
	p.mu.Lock()
	raw2 := p.records["node-2"].raw
	p.mu.Unlock()
	p.noteNode(fakeNode("node-2", raw2), eventLeave)

	p.mu.Lock()
	events := p.events
	p.mu.Unlock()
	var refused, leaves, lostAlready int
	for _, e := range events {
		switch {
		case e.kind == eventRefused && e.name == "node-2":
			refused++
			if e.id != "id-2" || e.addr != "127.0.0.1:2" {
				t.Errorf("refused event %+v, want node-2's id and address", e)
			}
		case e.kind == eventLeave && e.name == "node-2":
			leaves++
			if e.lostAlready {
				lostAlready++
			}
		}
	}
	if refused != 1 || leaves != 1 || lostAlready != 1 {
		t.Errorf("events %+v: want one refusal and one leave marked as lost already", events)
	}

	// A new process under the same name has a new member id: alive, and probed.
	restarted := nodeMeta{Cluster: p.cfg.ClusterName, ID: "id-2b", Host: "127.0.0.1", Port: 2}
	raw, err := encodeMeta(restarted)
	if err != nil {
		t.Fatal(err)
	}
	p.noteNode(fakeNode("node-2", raw), eventJoin)
	if !p.MemberAlive("id-2b") || p.MemberAlive("id-2") {
		t.Error("after a restart under the same name, want the new id alive and the old one not")
	}
	if ts := p.probeTargets(); len(ts) != 1 || ts[0].id != "id-2b" {
		t.Errorf("probe targets %+v after the restart, want the new process", ts)
	}
}

func fakeNode(name string, meta []byte) *memberlist.Node {
	return &memberlist.Node{Name: name, Addr: []byte{127, 0, 0, 1}, Port: 7946, Meta: meta}
}
