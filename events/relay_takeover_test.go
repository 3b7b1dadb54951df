package events

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// fakeMembers is a cluster view with a fixed set of live members.
type fakeMembers struct {
	self string
	mu   sync.Mutex
	live map[string]bool
}

func (m *fakeMembers) MemberID() string { return m.self }

func (m *fakeMembers) MemberGone(_, id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return id != m.self && !m.live[id]
}

func (m *fakeMembers) kill(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.live, id)
}

// holdLease gives o's relay lease to holder for an hour, as a relay that then died
// without releasing it would have left it.
func (o *memOutbox) holdLease(holder string) int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.epoch++
	o.holder, o.expires = holder, time.Now().Add(time.Hour)
	return o.epoch
}

func (o *memOutbox) leaseHolder() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.holder
}

// TestRelayTakesTheLeaseFromAGoneMember: a relay whose lease holder's process is no longer
// a live member takes the lease at once and publishes, although the holder's time (an
// hour) has not run out; the dead holder's token is fenced.
func TestRelayTakesTheLeaseFromAGoneMember(t *testing.T) {
	b, spy, o := newRelayRig(t)
	addRecords(t, o, map[string]int64{}, 40)
	dead := o.holdLease("node1/member-1/relay-dead")
	members := &fakeMembers{self: "member-2", live: map[string]bool{}}
	r := NewRelay(RelayConfig{Outbox: o, Producer: spy, Logger: zaptest.NewLogger(t), Node: "node2", Members: members, LeaseRetry: 10 * time.Millisecond})
	runInBackground(t, r.Run)
	testenv.Eventually(t, 15*time.Second, o.wantPublished(40))
	if h := o.leaseHolder(); !strings.HasPrefix(h, "node2/member-2/") {
		t.Errorf("lease holder %q, want node2/member-2/…", h)
	}
	if ok, _ := o.MarkPublished(context.Background(), dead, []int64{1}); ok {
		t.Error("the dead holder's token still marks")
	}
	checkStream(t, b, o, 0)
	o.check(t)
}

// TestRelayWaitsForALiveMembersLease: while the lease holder's member is alive, the
// relay does not take the lease, however often it tries; once the member is gone it
// does.
func TestRelayWaitsForALiveMembersLease(t *testing.T) {
	b, spy, o := newRelayRig(t)
	addRecords(t, o, map[string]int64{}, 10)
	o.holdLease("node1/member-1/relay-live")
	members := &fakeMembers{self: "member-2", live: map[string]bool{"member-1": true}}
	counting := &countingOutbox{memOutbox: o}
	r := NewRelay(RelayConfig{Outbox: counting, Producer: spy, Logger: zaptest.NewLogger(t), Node: "node2", Members: members, LeaseRetry: time.Millisecond})
	runInBackground(t, r.Run)
	testenv.Eventually(t, 15*time.Second, func() error {
		if n := counting.holderReads(); n < 20 {
			return fmt.Errorf("%d looks at the lease holder, want 20", n)
		}
		return nil
	})
	if h := o.leaseHolder(); h != "node1/member-1/relay-live" {
		t.Fatalf("lease holder %q while its member lives", h)
	}
	if _, published := o.counts(); published != 0 {
		t.Fatalf("%d records published without the lease", published)
	}
	members.kill("member-1")
	testenv.Eventually(t, 15*time.Second, o.wantPublished(10))
	checkStream(t, b, o, 0)
	o.check(t)
}

// countingOutbox counts the relay's looks at the lease holder.
type countingOutbox struct {
	*memOutbox
	mu    sync.Mutex
	reads int
}

func (c *countingOutbox) RelayLeaseHolder(ctx context.Context) (string, bool, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.memOutbox.RelayLeaseHolder(ctx)
}

func (c *countingOutbox) holderReads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}
