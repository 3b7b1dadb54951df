package events

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// deltaLog records what a live feed delivered, per section.
type deltaLog struct {
	mu       sync.Mutex
	versions map[string][]int64
	changes  map[string][]actors.SectionChanged
}

func newDeltaLog() *deltaLog {
	return &deltaLog{versions: make(map[string][]int64), changes: make(map[string][]actors.SectionChanged)}
}

func (l *deltaLog) handle(eventID, sectionID string, ch actors.SectionChanged) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := eventID + "/" + sectionID
	l.versions[key] = append(l.versions[key], ch.Version)
	l.changes[key] = append(l.changes[key], ch)
}

func (l *deltaLog) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.versions {
		n += len(v)
	}
	return n
}

// sectionChanged builds the outbox record of one committed version.
func sectionChanged(t testing.TB, key actors.SectionKey, version int64) *sarama.ProducerMessage {
	t.Helper()
	ch := actors.SectionChanged{Version: version, Kind: actors.KindReserved, Capacity: 10, Available: 9, Held: 1,
		Changes: []actors.SeatStatusChange{{ID: fmt.Sprintf("A-%d", version), Status: actors.SeatHeld}}}
	m, err := actors.NewOutboxMessage(fmt.Sprintf("env-%s-%d", key.SectionID, version), actors.TypeSectionChanged, time.Now(), key, ch)
	if err != nil {
		t.Fatal(err)
	}
	return &sarama.ProducerMessage{Topic: m.Topic, Key: sarama.StringEncoder(m.Key), Value: sarama.ByteEncoder(m.Payload)}
}

func startLiveFeed(t *testing.T, addrs []string, node string, log *deltaLog) *LiveFeed {
	t.Helper()
	f, err := NewLiveFeed(LiveFeedConfig{Brokers: addrs, Node: node, Handler: log.handle, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runInBackground(t, f.Run)
	select {
	case <-f.Ready():
	case <-time.After(30 * time.Second):
		t.Fatalf("live feed of %s never became ready", node)
	}
	return f
}

// TestLiveFeedEveryNodeReceivesEveryDelta runs the feeds of two nodes on one broker:
// each is in a group of its own, so both see every section's versions, in order, and
// neither sees what was published before it started.
func TestLiveFeedEveryNodeReceivesEveryDelta(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	p := testSyncProducer(t, b.Addrs())
	sections := []actors.SectionKey{{EventID: "e1", SectionID: "A"}, {EventID: "e1", SectionID: "B"}, {EventID: "e2", SectionID: "floor"}}
	// History from before the feeds started.
	for _, key := range sections {
		if _, _, err := p.SendMessage(sectionChanged(t, key, 1000)); err != nil {
			t.Fatal(err)
		}
	}

	logs := []*deltaLog{newDeltaLog(), newDeltaLog()}
	feeds := []*LiveFeed{startLiveFeed(t, b.Addrs(), "n1", logs[0]), startLiveFeed(t, b.Addrs(), "n2", logs[1])}
	if feeds[0].GroupID() == feeds[1].GroupID() {
		t.Fatalf("two nodes share the consumer group %q", feeds[0].GroupID())
	}
	for _, f := range feeds {
		if !strings.HasPrefix(f.GroupID(), LiveFeedGroupPrefix) {
			t.Errorf("group id %q lacks the prefix %q", f.GroupID(), LiveFeedGroupPrefix)
		}
	}

	const versions = 20
	var msgs []*sarama.ProducerMessage
	for v := int64(1); v <= versions; v++ {
		for _, key := range sections {
			msgs = append(msgs, sectionChanged(t, key, v))
		}
	}
	// Records that are not section changes are skipped, not delivered and not fatal.
	junk := []*sarama.ProducerMessage{
		{Topic: actors.TopicSectionChanged, Key: sarama.StringEncoder("e1/A"), Value: sarama.StringEncoder("not json")},
		{Topic: actors.TopicSectionChanged, Key: sarama.StringEncoder("e1/A"), Value: sarama.StringEncoder(`{"type":"SeatReserved","event_id":"e1","section_id":"A","data":{}}`)},
	}
	if err := p.SendMessages(append(junk, msgs...)); err != nil {
		t.Fatal(err)
	}
	want := versions * len(sections)
	for i, l := range logs {
		testenv.Eventually(t, 30*time.Second, func() error {
			if n := l.total(); n < want {
				return fmt.Errorf("node %d received %d of %d deltas", i+1, n, want)
			}
			return nil
		})
	}
	for i, l := range logs {
		if n := l.total(); n != want {
			t.Errorf("node %d received %d deltas, want %d", i+1, n, want)
		}
		l.mu.Lock()
		for _, key := range sections {
			got := l.versions[key.Identity()]
			if len(got) != versions {
				t.Errorf("node %d: section %s got versions %v, want 1..%d", i+1, key, got, versions)
				continue
			}
			for j, v := range got {
				if v != int64(j+1) {
					t.Errorf("node %d: section %s got versions %v, want 1..%d in order", i+1, key, got, versions)
					break
				}
			}
			first := l.changes[key.Identity()][0]
			if first.Kind != actors.KindReserved || len(first.Changes) != 1 || first.Changes[0] != (actors.SeatStatusChange{ID: "A-1", Status: actors.SeatHeld}) || first.Available != 9 {
				t.Errorf("node %d: section %s delta decoded as %+v", i+1, key, first)
			}
		}
		l.mu.Unlock()
	}
}

func TestNewLiveFeedValidates(t *testing.T) {
	handler := func(string, string, actors.SectionChanged) {}
	for name, cfg := range map[string]LiveFeedConfig{
		"no brokers": {Node: "n1", Handler: handler},
		"no node":    {Brokers: []string{"127.0.0.1:1"}, Handler: handler},
		"no handler": {Brokers: []string{"127.0.0.1:1"}, Node: "n1"},
	} {
		if _, err := NewLiveFeed(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
