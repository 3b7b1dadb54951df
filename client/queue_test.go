package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// queueFeed serves /ws/queue/q_1 as the server does: the ticket waiting, then admitted;
// any other ticket is 404.
func queueFeed(t *testing.T, messages ...string) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws/queue/q_1" {
			http.Error(w, `{"error":{"code":"NOT_FOUND","message":"ticket not found"}}`, http.StatusNotFound)
			return
		}
		if r.Header.Get("Authorization") != "" {
			t.Errorf("the feed got a token: the ticket id is the capability")
		}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		defer conn.Close()
		for _, m := range messages {
			if err := conn.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
				return
			}
		}
		conn.ReadMessage() // until the client closes
	}))
	t.Cleanup(srv.Close)
	return srv
}

const (
	waitingMsg = `{"type":"queue","id":"q_1","event_id":"demo","user_id":"alice","position":3,"ahead":2,"eta_seconds":1,` +
		`"status":"waiting","pass":null,"pass_expires_at":null,"joined_at":"2026-06-01T11:59:00Z","follow_after_ms":1250}`
	admittedMsg = `{"type":"queue","id":"q_1","event_id":"demo","user_id":"alice","position":3,"ahead":0,"eta_seconds":0,` +
		`"status":"admitted","pass":"p_1","pass_expires_at":"2026-06-01T12:10:00Z","joined_at":"2026-06-01T11:59:00Z","follow_after_ms":0}`
)

func TestFollowQueueUntilAdmitted(t *testing.T) {
	srv := queueFeed(t, waitingMsg, admittedMsg, waitingMsg)
	c := New(srv.URL, WithToken("tok-alice"))
	var got []QueueTicket
	err := c.FollowQueue(context.Background(), "q_1", func(tk QueueTicket) bool {
		got = append(got, tk)
		return !tk.Admitted()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d tickets, want 2 (the follow stops at admission): %+v", len(got), got)
	}
	if w := got[0]; w.Status != QueueWaiting || w.Admitted() || w.Ahead != 2 || w.Position == nil || *w.Position != 3 || w.Pass != nil {
		t.Errorf("waiting ticket %+v", w)
	}
	if a := got[1]; !a.Admitted() || *a.Pass != "p_1" || a.PassExpiresAt == nil || !a.PassExpiresAt.Equal(time.Date(2026, 6, 1, 12, 10, 0, 0, time.UTC)) {
		t.Errorf("admitted ticket %+v", a)
	}
}

func TestFollowQueueFailures(t *testing.T) {
	srv := queueFeed(t, `{"type":"seats","event_id":"demo"}`)
	c := New(srv.URL)
	never := func(QueueTicket) bool { t.Error("a message that is no ticket reached fn"); return false }
	if err := c.FollowQueue(context.Background(), "q_1", never); err == nil {
		t.Error("a message of another type was accepted")
	}
	if err := c.FollowQueue(context.Background(), "q_2", never); !errors.Is(err, ErrQueueFeedRefused) {
		t.Errorf("unknown ticket: %v, want ErrQueueFeedRefused", err)
	}

	quiet := queueFeed(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := New(quiet.URL).FollowQueue(ctx, "q_1", never); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a silent feed after the context ended: %v, want the context's error", err)
	}
}

func TestFollowQueueDialsThroughTheWebSocketDialer(t *testing.T) {
	srv := queueFeed(t, admittedMsg)
	var dialled []string
	d := &net.Dialer{}
	c := New(srv.URL, WithWebSocketDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialled = append(dialled, addr)
		return d.DialContext(ctx, network, addr)
	}))
	if err := c.FollowQueue(context.Background(), "q_1", func(QueueTicket) bool { return false }); err != nil {
		t.Fatal(err)
	}
	if want := srv.Listener.Addr().String(); len(dialled) != 1 || dialled[0] != want {
		t.Fatalf("the dialer was asked for %v, want once for %s", dialled, want)
	}
}
