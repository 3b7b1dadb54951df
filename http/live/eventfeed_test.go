package live

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

func TestEventsSnapshotThenGapFreeVersions(t *testing.T) {
	le := newLiveEnv(t, liveOptions{})
	c := le.dial(t, "/ws/events/e1", 0)

	snap := c.next()
	var got map[string]any
	if err := json.Unmarshal([]byte(snap.raw), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"type": "snapshot", "event_id": "e1",
		"sections": []any{
			map[string]any{"section_id": "A", "kind": "reserved", "version": 7.0, "seats": []any{
				map[string]any{"id": "A-1", "status": "sold"},
				map[string]any{"id": "A-2", "status": "available"},
			}},
			map[string]any{"section_id": "floor", "kind": "general_admission", "version": 3.0,
				"capacity": 500.0, "available": 490.0, "held": 6.0, "sold": 4.0},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot = %s\nwant      %v", snap.raw, want)
	}

	// Versions 8… of A and 4… of floor, interleaved as two partitions would deliver them.
	for i := int64(0); i < 50; i++ {
		le.feed.Publish("e1", "A", reservedDelta(8+i, "A-2"))
		if i < 20 {
			le.feed.Publish("e1", "floor", capacityDelta(4+i, 6+int(i), 4))
		}
		le.feed.Publish("e2", "A", reservedDelta(100+i, "A-1")) // another event: not for this client
	}
	var a, floor []int64
	for len(a)+len(floor) < 70 {
		m := c.next()
		if m.EventID != "e1" {
			t.Fatalf("got a message of event %q: %s", m.EventID, m.raw)
		}
		switch {
		case m.Type == "seats" && m.SectionID == "A":
			if len(m.Changes) != 1 || m.Changes[0] != (seatJSON{ID: "A-2", Status: "held"}) {
				t.Fatalf("seats delta %s lacks its change", m.raw)
			}
			a = append(a, m.Version)
		case m.Type == "capacity" && m.SectionID == "floor":
			held := 6 + int(m.Version-4)
			if m.Held == nil || *m.Held != held || m.Sold == nil || *m.Sold != 4 || m.Available == nil || *m.Available != 500-held-4 {
				t.Fatalf("capacity delta %s has the wrong counters", m.raw)
			}
			floor = append(floor, m.Version)
		default:
			t.Fatalf("unexpected message %s", m.raw)
		}
	}
	if !consecutive(a, 8, 57) || !consecutive(floor, 4, 23) {
		t.Fatalf("versions of A = %v, of floor = %v; want 8..57 and 4..23", a, floor)
	}

	// A gap (the feed restarted) is passed on; a version the client has is not repeated.
	le.feed.Publish("e1", "A", reservedDelta(60))
	le.feed.Publish("e1", "A", reservedDelta(60))
	le.feed.Publish("e1", "A", reservedDelta(59))
	le.feed.Publish("e1", "A", reservedDelta(61))
	for _, v := range []int64{60, 61} {
		if m := c.next(); m.Version != v || m.Changes == nil {
			t.Fatalf("got %s, want seats version %d with a (possibly empty) changes list", m.raw, v)
		}
	}
	if n := metricValue(t, le.reg, "ticketblitz_ws_section_version_gaps_total", nil); n != 1 {
		t.Errorf("gaps counted = %v, want 1 (58→60)", n)
	}
}

// blockingCatalog holds the seat map read of section A until released, so that a test
// can publish deltas while a snapshot is being read.
type blockingCatalog struct {
	*fakeCatalog
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingCatalog) SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error) {
	if sectionID == "A" {
		b.once.Do(func() { close(b.entered) })
		select {
		case <-b.release:
		case <-ctx.Done():
			return actors.SeatMap{}, ctx.Err()
		}
	}
	return b.fakeCatalog.SeatMap(ctx, eventID, sectionID)
}

// TestEventsDeltasDuringSnapshotAreNeitherLostNorDuplicated publishes while the seat
// maps are read: versions the read already covers are dropped, later ones are applied
// to the snapshot's state, and deltas that arrive after the snapshot but describe
// older versions (the store is ahead of Kafka) are dropped too.
func TestEventsDeltasDuringSnapshotAreNeitherLostNorDuplicated(t *testing.T) {
	cat := &blockingCatalog{fakeCatalog: newFakeCatalog(), entered: make(chan struct{}), release: make(chan struct{})}
	le := newLiveEnv(t, liveOptions{catalog: cat})
	c := le.dial(t, "/ws/events/e1", 0)
	select {
	case <-cat.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the snapshot never read the seat map")
	}
	le.feed.Publish("e1", "A", reservedDelta(6, "A-2"))
	le.feed.Publish("e1", "A", reservedDelta(7, "A-2"))
	le.feed.Publish("e1", "A", reservedDelta(8, "A-2"))
	close(cat.release)

	snap := c.next()
	if snap.Type != "snapshot" {
		t.Fatalf("first message %s is not the snapshot", snap.raw)
	}
	// The store had version 7 of A; 8 arrived during the read and is in the snapshot.
	if v := snapshotVersions(t, snap); v["A"] != 8 || v["floor"] != 3 {
		t.Fatalf("snapshot versions %v, want A 8 and floor 3", v)
	}
	if !strings.Contains(string(snap.Sections), `{"id":"A-2","status":"held"}`) {
		t.Fatalf("snapshot %s does not show version 8's hold of A-2", snap.raw)
	}
	le.feed.Publish("e1", "floor", capacityDelta(2, 5, 4))
	le.feed.Publish("e1", "floor", capacityDelta(3, 6, 4))
	le.feed.Publish("e1", "floor", capacityDelta(4, 7, 4))
	le.feed.Publish("e1", "A", reservedDelta(9, "A-1"))
	le.feed.Publish("e1", "A", reservedDelta(10, "A-1"))

	var got []string
	for range 3 {
		m := c.next()
		got = append(got, m.Type+"/"+m.SectionID+"/"+strconv.FormatInt(m.Version, 10))
	}
	want := []string{"capacity/floor/4", "seats/A/9", "seats/A/10"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the snapshot got %v, want %v", got, want)
	}
}

func TestEventsRefusals(t *testing.T) {
	le := newLiveEnv(t, liveOptions{events: EndpointConfig{MaxConnections: 2}})

	// Not a websocket request.
	if status, r := le.get(t, "/ws/events/e1"); status != http.StatusBadRequest || r.Code != actors.CodeValidation || r.Fields["upgrade"] == "" {
		t.Errorf("plain GET: %d %+v, want 400 VALIDATION_FAILED naming the upgrade", status, r)
	}
	if status, r := le.get(t, "/ws/visualizer"); status != http.StatusBadRequest || r.Code != actors.CodeValidation || r.Fields["upgrade"] == "" {
		t.Errorf("plain GET of the visualizer: %d %+v, want 400 VALIDATION_FAILED naming the upgrade", status, r)
	}
	// An id that cannot name an event is refused without asking the catalog.
	if status, r := le.get(t, "/ws/events/"+strings.Repeat("x", 129)); status != http.StatusNotFound || r.Code != actors.CodeNotFound {
		t.Errorf("GET of an impossible event id: %d %+v, want 404 NOT_FOUND", status, r)
	}
	// An unknown event is refused before the upgrade.
	if _, err := le.tryDial("/ws/events/nope", 0); err == nil || !containsStatus(err, 404) {
		t.Errorf("dial of an unknown event: %v, want status 404", err)
	}
	// The connection limit.
	first := le.dial(t, "/ws/events/e1", 0)
	first.next()
	second := le.dial(t, "/ws/events/e1", 0)
	second.next()
	if _, err := le.tryDial("/ws/events/e1", 0); err == nil || !containsStatus(err, 503) {
		t.Errorf("dial beyond the limit: %v, want status 503", err)
	}
	if err := first.closeCleanly(); err != nil {
		t.Fatalf("clean close: %v", err)
	}
	testenv.Eventually(t, 10*time.Second, le.wantConnections(1)) // the closed connection frees its slot
	third := le.dial(t, "/ws/events/e1", 0)
	if m := third.next(); m.Type != "snapshot" {
		t.Fatalf("got %s, want a snapshot", m.raw)
	}
	if n := metricValue(t, le.reg, "ticketblitz_ws_refused_total", map[string]string{"endpoint": "events"}); n != 1 {
		t.Errorf("refusals counted = %v, want 1", n)
	}
}

// containsStatus reports whether a failed dial was answered with status.
func containsStatus(err error, status int) bool {
	return err != nil && strings.Contains(err.Error(), "(status "+strconv.Itoa(status)+")")
}

// TestEventsSlowClientIsEvictedWhileAFastOneKeepsUp: a client that stops reading fills
// its buffers and is closed with "too slow"; the fast client gets every version.
func TestEventsSlowClientIsEvictedWhileAFastOneKeepsUp(t *testing.T) {
	le := newLiveEnv(t, liveOptions{events: EndpointConfig{SendBuffer: 8, WriteWait: 30 * time.Second}, sendBuffer: 4096})
	slow := le.dial(t, "/ws/events/e1", 4096)
	if m := slow.next(); m.Type != "snapshot" {
		t.Fatalf("got %s, want a snapshot", m.raw)
	}
	fast := watchVersions(le.dial(t, "/ws/events/e1", 0))
	testenv.Eventually(t, 10*time.Second, le.wantSubscribers(2))

	seats := seatIDs(60) // about 1.5 KB per message
	version := int64(7)
	deadline := time.Now().Add(30 * time.Second)
	evicted := func() bool {
		return metricValue(t, le.reg, "ticketblitz_ws_evictions_total", map[string]string{"endpoint": "events", "reason": "slow"}) > 0
	}
	for !evicted() {
		if time.Now().After(deadline) {
			t.Fatal("the slow client was never evicted")
		}
		// Paced by the fast client, so that only the slow one falls behind.
		for range 4 {
			version++
			le.feed.Publish("e1", "A", reservedDelta(version, seats...))
		}
		testenv.Eventually(t, 10*time.Second, fast.wantLast("A", version))
	}
	for range 5 {
		for range 4 {
			version++
			le.feed.Publish("e1", "A", reservedDelta(version, seats...))
		}
		testenv.Eventually(t, 10*time.Second, fast.wantLast("A", version))
	}
	if got := fast.versions("A"); !consecutive(got, 8, version) {
		t.Fatalf("fast client saw %d versions with a gap or duplicate, want 8..%d", len(got), version)
	}

	code, text := slow.expectClose(10 * time.Second)
	if code != fws.ClosePolicyViolation || text != "too slow" {
		t.Fatalf("slow client closed with %d %q, want %d \"too slow\"", code, text, fws.ClosePolicyViolation)
	}
	if n := metricValue(t, le.reg, "ticketblitz_ws_evictions_total", map[string]string{"endpoint": "events", "reason": "slow"}); n != 1 {
		t.Errorf("slow evictions counted = %v, want 1", n)
	}
	testenv.Eventually(t, 10*time.Second, le.wantConnections(1)) // the slow connection ends
}

// TestEventsHeartbeatTimeoutClosesSilentClient: a client that does not answer pings is
// closed; one that does stays.
func TestEventsHeartbeatTimeoutClosesSilentClient(t *testing.T) {
	le := newLiveEnv(t, liveOptions{events: EndpointConfig{PingInterval: 50 * time.Millisecond, PongWait: 750 * time.Millisecond}})
	silent := le.dial(t, "/ws/events/e1", 0)
	silent.conn.SetPingHandler(func(string) error { return nil })
	alive := le.dial(t, "/ws/events/e1", 0)
	pings := make(chan struct{}, 100)
	alive.conn.SetPingHandler(func(data string) error {
		select {
		case pings <- struct{}{}:
		default:
		}
		return alive.conn.WriteControl(fws.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	aliveSeen := watchVersions(alive)

	code, text := silent.expectClose(10 * time.Second)
	if code != fws.ClosePolicyViolation || text != "heartbeat timeout" {
		t.Fatalf("silent client closed with %d %q, want %d \"heartbeat timeout\"", code, text, fws.ClosePolicyViolation)
	}
	// The live client answered pings through several pong waits and is still served.
	for range 30 {
		select {
		case <-pings:
		case <-time.After(10 * time.Second):
			t.Fatal("the live client stopped getting pings")
		}
	}
	le.feed.Publish("e1", "A", reservedDelta(8, "A-2"))
	testenv.Eventually(t, 10*time.Second, aliveSeen.wantLast("A", 8))
	if le.feed.Connections() != 1 {
		t.Errorf("connections = %d, want 1", le.feed.Connections())
	}
	if n := metricValue(t, le.reg, "ticketblitz_ws_evictions_total", map[string]string{"endpoint": "events", "reason": "heartbeat"}); n != 1 {
		t.Errorf("heartbeat evictions counted = %v, want 1", n)
	}
}

func TestEventsShutdownClosesSubscribers(t *testing.T) {
	le := newLiveEnv(t, liveOptions{})
	c := le.dial(t, "/ws/events/e1", 0)
	c.next()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := le.feed.Close(ctx); err != nil {
		t.Fatal(err)
	}
	code, text := c.expectClose(10 * time.Second)
	if code != fws.CloseGoingAway || text != "server shutting down" {
		t.Fatalf("closed with %d %q, want %d \"server shutting down\"", code, text, fws.CloseGoingAway)
	}
	if le.feed.Connections() != 0 || le.feed.Subscribers() != 0 {
		t.Fatalf("after Close: %d connections, %d subscribers", le.feed.Connections(), le.feed.Subscribers())
	}
	if _, err := le.tryDial("/ws/events/e1", 0); !containsStatus(err, 503) {
		t.Fatalf("dial after Close: %v, want status 503", err)
	}
}

func TestEventsSnapshotFailureClosesTheConnection(t *testing.T) {
	le := newLiveEnv(t, liveOptions{})
	le.cat.mu.Lock()
	delete(le.cat.maps, "e1/floor")
	le.cat.mu.Unlock()
	c := le.dial(t, "/ws/events/e1", 0)
	code, text := c.expectClose(10 * time.Second)
	if code != fws.CloseInternalServerErr || text != "snapshot unavailable; reconnect" {
		t.Fatalf("closed with %d %q", code, text)
	}
	testenv.Eventually(t, 10*time.Second, all(le.wantSubscribers(0), le.wantConnections(0)))
}
