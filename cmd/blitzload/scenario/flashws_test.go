package scenario

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// wsServer speaks /ws/events/{id} as docs/api.md says: a snapshot, then deltas; the third
// delta skips a version. Each subscriber gets the deltas once release is closed.
func wsServer(t *testing.T, release <-chan struct{}) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws/events/{id}", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		send := func(s string) { _ = conn.WriteMessage(websocket.TextMessage, []byte(s)) }
		send(`{"type":"snapshot","event_id":"ev1","sections":[{"section_id":"hot","version":7,"seats":[{"id":"A-1","status":"available"}]}]}`)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		send(`{"type":"seats","event_id":"ev1","section_id":"hot","version":8,"changes":[{"id":"A-1","status":"held"}]}`)
		send(`{"type":"seats","event_id":"ev1","section_id":"hot","version":9,"changes":[{"id":"A-2","status":"held"}]}`)
		send(`{"type":"seats","event_id":"ev1","section_id":"hot","version":11,"changes":[{"id":"A-1","status":"available"}]}`)
		// Stay open until the client leaves.
		_, _, _ = conn.ReadMessage()
	})
	return httptest.NewServer(mux)
}

func TestWebSocketFleetMeasuresDeliveryAndGaps(t *testing.T) {
	release := make(chan struct{})
	srv := wsServer(t, release)
	defer srv.Close()
	env := &Env{Collector: stats.NewCollector(), Out: io.Discard}
	cfg := DefaultConfig()
	cfg.Target, cfg.Fans, cfg.WSSample = srv.URL, 3, 1
	res := &Result{}
	ref := audit.SectionRef{EventID: "ev1", SectionID: "hot"}

	fleet := startWebSockets(context.Background(), env, cfg, ref, res)
	if fleet == nil {
		t.Fatalf("no fleet: %v", res.Notes)
	}
	fleet.heldAt([]string{"A-1", "A-2"}, time.Now())
	close(release)
	if err := testenv.Try(10*time.Second, func() error {
		if n := env.Collector.Summary().WebSocket.Messages; n < 12 {
			return fmt.Errorf("the fleet received %d of 12 websocket messages", n)
		}
		return nil
	}); err != nil {
		t.Error(err) // the fleet is closed and its summary checked all the same
	}
	fleet.close()

	ws := env.Collector.Summary().WebSocket
	if !ws.Enabled || !ws.Available || ws.Connected != 3 {
		t.Errorf("websocket info %+v", ws)
	}
	// 3 subscribers × (snapshot + 3 deltas); one gap each; only the sampled one
	// measures, two held seats.
	if ws.Messages != 12 || ws.Gaps != 3 {
		t.Errorf("messages %d, gaps %d; want 12 and 3", ws.Messages, ws.Gaps)
	}
	if ws.Delivery == nil || ws.Delivery.Count != 2 {
		t.Errorf("delivery %+v, want 2 samples", ws.Delivery)
	}
}

func TestWebSocketsUnavailableIsANoteNotAFailure(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	env := &Env{Collector: stats.NewCollector(), Out: io.Discard}
	cfg := DefaultConfig()
	cfg.Target = srv.URL
	res := &Result{}
	if fleet := startWebSockets(context.Background(), env, cfg, audit.SectionRef{EventID: "ev1", SectionID: "hot"}, res); fleet != nil {
		t.Fatal("a fleet without websockets")
	}
	ws := env.Collector.Summary().WebSocket
	if !ws.Enabled || ws.Available || ws.Note == "" || len(res.Notes) != 1 {
		t.Errorf("websocket info %+v, notes %v", ws, res.Notes)
	}
}

// The companion process's protocol, run in this process over pipes: subscriptions open,
// the parent notes its holds, closes stdin, and the summary gives the same counts and
// delivery samples as the in-process fleet.
func TestSubscribersCompanionReportsWhatTheFleetWould(t *testing.T) {
	release := make(chan struct{})
	srv := wsServer(t, release)
	defer srv.Close()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- RunSubscribers(context.Background(), SubscribersConfig{Target: srv.URL, EventID: "ev1", Count: 3, Sample: 1}, inR, outW)
		outW.Close()
	}()
	env := &Env{Collector: stats.NewCollector(), Out: io.Discard}
	r := &remoteFleet{env: env, stdin: inW, out: bufio.NewReader(outR), held: map[string][]time.Time{}}
	var ready remoteReady
	if err := r.readLine(&ready); err != nil || ready.Connected != 3 {
		t.Fatalf("ready %+v, %v", ready, err)
	}
	r.heldAt([]string{"A-1", "A-2"}, time.Now())
	close(release)
	time.Sleep(200 * time.Millisecond) // let the deltas arrive before the sale "ends"
	r.drain(3 * time.Second)
	r.close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ws := env.Collector.Summary().WebSocket
	if ws.Messages != 12 || ws.Gaps != 3 {
		t.Errorf("messages %d, gaps %d; want 12 and 3", ws.Messages, ws.Gaps)
	}
	if ws.Delivery == nil || ws.Delivery.Count != 2 {
		t.Errorf("delivery %+v, want 2 samples", ws.Delivery)
	}
}
