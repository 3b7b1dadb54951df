package live

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// countingCatalog counts the seat-map reads of each section.
type countingCatalog struct {
	*fakeCatalog
	mu    sync.Mutex
	reads map[string]int
}

func (c *countingCatalog) SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error) {
	c.mu.Lock()
	c.reads[sectionID]++
	c.mu.Unlock()
	return c.fakeCatalog.SeatMap(ctx, eventID, sectionID)
}

func (c *countingCatalog) readsOf(sectionID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads[sectionID]
}

// commitA stores version v of section A of e1, with A-2 in status st, as a commit
// would, before the version is published.
func commitA(cat *fakeCatalog, v int64, st actors.SeatStatus) {
	cat.mu.Lock()
	defer cat.mu.Unlock()
	m := cat.maps["e1/A"]
	seats := append([]actors.Seat(nil), m.Seats...)
	for i := range seats {
		if seats[i].ID == "A-2" {
			seats[i].Status = st
		}
	}
	m.Seats, m.Version = seats, v
	cat.maps["e1/A"] = m
}

// statusAt is A-2's status at version v in TestEventsSharedSnapshotUnderConcurrentSubscribeAndPublish.
func statusAt(v int64) actors.SeatStatus {
	if v > 7 && v%2 == 1 {
		return actors.SeatHeld
	}
	return actors.SeatAvailable
}

// TestEventsSharedSnapshotUnderConcurrentSubscribeAndPublish connects many subscribers
// while versions are committed and published: every one gets a snapshot that matches
// its version and then exactly the versions after it, and the store is read once.
func TestEventsSharedSnapshotUnderConcurrentSubscribeAndPublish(t *testing.T) {
	cat := &countingCatalog{fakeCatalog: newFakeCatalog(), reads: map[string]int{}}
	le := newLiveEnv(t, liveOptions{catalog: cat, events: EndpointConfig{SendBuffer: 1 << 20}})
	const clients = 40
	var snapped atomic.Int64
	var final atomic.Int64 // A's last version, set before the end-of-stream delta
	final.Store(-1)

	go func() {
		v := int64(8)
		for ; v < 100000; v++ {
			commitA(cat.fakeCatalog, v, statusAt(v))
			le.feed.Publish("e1", "A", actors.SectionChanged{Version: v, Kind: actors.KindReserved,
				Changes: []actors.SeatStatusChange{{ID: "A-2", Status: statusAt(v)}}})
			if snapped.Load() == clients && v >= 300 {
				break
			}
			if v%16 == 0 {
				time.Sleep(time.Millisecond) // let the subscribers in between versions
			}
		}
		final.Store(v)
		// A version of another section, published after A's last: the end of the stream.
		le.feed.Publish("e1", "floor", capacityDelta(4, 7, 4))
	}()

	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				c, err := le.tryDial("/ws/events/e1", 0)
				if err != nil {
					return err
				}
				defer c.conn.Close()
				snap, err := c.read(30 * time.Second)
				snapped.Add(1)
				if err != nil || snap.Type != "snapshot" {
					return fmt.Errorf("client %d: first message %q: %v", i, snap.raw, err)
				}
				var versions map[string]int64
				if err := jsonSections(snap, &versions); err != nil {
					return err
				}
				from := versions["A"]
				wantSeat := fmt.Sprintf(`{"id":"A-2","status":"%s"}`, statusAt(from))
				if !strings.Contains(string(snap.Sections), wantSeat) {
					return fmt.Errorf("client %d: snapshot at version %d lacks %s: %s", i, from, wantSeat, snap.Sections)
				}
				next := from + 1
				for {
					m, err := c.read(30 * time.Second)
					if err != nil {
						return fmt.Errorf("client %d: after version %d: %w", i, next-1, err)
					}
					if m.SectionID == "floor" {
						if last := final.Load(); next-1 != last {
							return fmt.Errorf("client %d: the stream ended at version %d of A, want %d", i, next-1, last)
						}
						return nil
					}
					if m.Version != next {
						return fmt.Errorf("client %d: snapshot at %d, then version %d where %d was due", i, from, m.Version, next)
					}
					if len(m.Changes) != 1 || m.Changes[0].Status != string(statusAt(next)) {
						return fmt.Errorf("client %d: version %d is %s", i, next, m.raw)
					}
					next++
				}
			}()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := cat.readsOf("A"); n != 1 {
		t.Errorf("the seat map of A was read %d times, want once for every subscriber", n)
	}
}

// jsonSections reads the section versions of a snapshot.
func jsonSections(snap testMessage, into *map[string]int64) error {
	var secs []struct {
		SectionID string `json:"section_id"`
		Version   int64  `json:"version"`
	}
	if err := json.Unmarshal(snap.Sections, &secs); err != nil {
		return fmt.Errorf("snapshot sections %s: %w", snap.Sections, err)
	}
	*into = make(map[string]int64, len(secs))
	for _, s := range secs {
		(*into)[s.SectionID] = s.Version
	}
	return nil
}

// TestEventsStateIsReadAgainAfterAGap: a gap in the versions makes the in-memory state
// inexact, so the next subscriber reads the store again; the live subscribers get the
// gap passed on, and the subscribers after that share the new read.
func TestEventsStateIsReadAgainAfterAGap(t *testing.T) {
	cat := &countingCatalog{fakeCatalog: newFakeCatalog(), reads: map[string]int{}}
	le := newLiveEnv(t, liveOptions{catalog: cat})
	c1 := le.dial(t, "/ws/events/e1", 0)
	if m := c1.next(); m.Type != "snapshot" {
		t.Fatalf("first message %s", m.raw)
	}
	commitA(cat.fakeCatalog, 8, actors.SeatHeld)
	le.feed.Publish("e1", "A", reservedDelta(8, "A-2"))
	if m := c1.next(); m.SectionID != "A" || m.Version != 8 {
		t.Fatalf("got %s, want version 8 of A", m.raw)
	}
	// Versions 9 to 11 never reach this node.
	commitA(cat.fakeCatalog, 12, actors.SeatSold)
	le.feed.Publish("e1", "A", actors.SectionChanged{Version: 12, Kind: actors.KindReserved,
		Changes: []actors.SeatStatusChange{{ID: "A-2", Status: actors.SeatSold}}})
	if m := c1.next(); m.SectionID != "A" || m.Version != 12 {
		t.Fatalf("got %s, want version 12 of A passed on", m.raw)
	}

	for i := range 3 {
		c := le.dial(t, "/ws/events/e1", 0)
		snap := c.next()
		if v := snapshotVersions(t, snap); v["A"] != 12 {
			t.Fatalf("subscriber %d: snapshot versions %v, want A at 12", i, v)
		}
		if !strings.Contains(string(snap.Sections), `{"id":"A-2","status":"sold"}`) {
			t.Fatalf("subscriber %d: snapshot %s does not show A-2 sold", i, snap.Sections)
		}
	}
	if n := cat.readsOf("A"); n != 2 {
		t.Fatalf("the seat map of A was read %d times, want twice (once before the gap, once after)", n)
	}
}

// TestHubReadsAgainWhenVersionsDuringTheReadDoNotFollowOn: a version published during
// the read that skips ahead of what the read found cannot be applied, so the waiting
// subscriber is served from a second read instead of an inexact state.
func TestHubReadsAgainWhenVersionsDuringTheReadDoNotFollowOn(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var reads atomic.Int64
	read := func(ctx context.Context, eventID string, _ []actors.Section) ([]actors.SeatMap, error) {
		m := actors.SeatMap{SectionID: "A", Kind: actors.KindReserved, Version: 7, Seats: []actors.Seat{{ID: "A-1", Status: actors.SeatAvailable}}}
		if reads.Add(1) == 1 {
			close(entered)
			<-release
			return []actors.SeatMap{m}, nil
		}
		m.Version, m.Seats[0].Status = 12, actors.SeatSold
		return []actors.SeatMap{m}, nil
	}
	h := newEventHub("e1", []actors.Section{{ID: "A", Kind: actors.KindReserved}}, read)
	cfg := EndpointConfig{}.withDefaults()
	// A connection whose writer is busy keeps what is sent to it in its queue.
	c := &conn{cfg: &cfg, stop: make(chan struct{}), writing: true}

	type joined struct {
		s   *eventSub
		err error
	}
	done := make(chan joined, 1)
	go func() {
		s, err := h.join(context.Background(), context.Background(), c)
		done <- joined{s, err}
	}()
	<-entered
	h.publish("A", actors.SectionChanged{Version: 9, Kind: actors.KindReserved,
		Changes: []actors.SeatStatusChange{{ID: "A-1", Status: actors.SeatHeld}}}, newTextFrame([]byte(`{}`)))
	close(release)
	j := <-done
	if j.err != nil {
		t.Fatal(j.err)
	}
	if n := reads.Load(); n != 2 {
		t.Fatalf("%d reads, want 2", n)
	}
	if j.s.from[0] != 12 {
		t.Fatalf("joined at version %d of A, want 12", j.s.from[0])
	}
	c.qmu.Lock()
	batch := c.queue
	c.qmu.Unlock()
	if len(batch) != 1 {
		t.Fatalf("queued %d frames, want the snapshot alone", len(batch))
	}
	if !strings.Contains(string(batch[0].data), `"version":12,"seats":[{"id":"A-1","status":"sold"}]`) {
		t.Fatalf("queued %q, want the snapshot of the second read", batch[0].data)
	}
}
