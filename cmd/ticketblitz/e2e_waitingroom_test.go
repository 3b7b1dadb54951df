package main

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/ticketblitz/ticketblitz/internal/apicheck"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestWaitingRoom runs a waiting room end to end through HTTP: an admin opens it with a
// small fixed rate, fans join (once each), follow their tickets over HTTP and the
// websocket, are admitted in order, and hold with their pass; holds without a valid
// pass are 403 QUEUE_REQUIRED. Every answer is held to the OpenAPI document.
func TestWaitingRoom(t *testing.T) {
	s := startServer(t)
	checker, err := apicheck.New()
	if err != nil {
		t.Fatal(err)
	}
	// documented checks an answer against the document and returns it.
	documented := func(method, path string, r response) response {
		t.Helper()
		if err := checker.Response(httptest.NewRequest(method, path, nil), r.Status, r.Header, r.Raw); err != nil {
			t.Errorf("%v\n%s", err, r.Raw)
		}
		return r
	}
	admin := s.as("root", "admin")
	alice, bob, carol := s.as("alice", "fan"), s.as("bob", "fan"), s.as("carol", "fan")

	created := admin.do("POST", "/api/v1/events", map[string]any{"name": "Queue Night", "venue": "Club",
		"starts_at": "2027-06-01T20:00:00Z", "currency": "USD",
		"sections": []any{map[string]any{"id": "floor", "kind": "general_admission", "price_cents": 1000, "capacity": 100}}})
	want(t, created, 201, "")
	ev := created.str("id")
	room := "/api/v1/events/" + ev + "/waiting-room"
	queue := "/api/v1/events/" + ev + "/queue"
	holds := "/api/v1/events/" + ev + "/holds"
	holdBody := map[string]any{"section_id": "floor", "quantity": 1}

	// A room never set reads as the defaults; only admins set one.
	r := documented("GET", room, s.anonymous().do("GET", room, nil))
	want(t, r, 200, "")
	if r.Body["enabled"] != false || r.Body["order"] != "fifo" {
		t.Fatalf("default room %s", r.Raw)
	}
	want(t, documented("PUT", room, alice.do("PUT", room, map[string]any{"enabled": true})), 403, "FORBIDDEN")
	want(t, documented("PUT", room, admin.do("PUT", room, map[string]any{"enabled": true, "order": "random"})), 400, "VALIDATION_FAILED")
	want(t, documented("POST", queue, alice.do("POST", queue, nil)), 404, "NOT_FOUND")
	r = documented("PUT", room, admin.do("PUT", room, map[string]any{"enabled": true, "order": "fifo", "admit_per_s": 2}))
	want(t, r, 200, "")
	if r.Body["enabled"] != true || r.Body["admit_per_s"] != 2.0 || r.Body["admitting_per_s"] != 2.0 {
		t.Fatalf("room %s", r.Raw)
	}

	// No pass, no hold.
	want(t, documented("POST", holds, alice.do("POST", holds, holdBody)), 403, "QUEUE_REQUIRED")

	// Fans join: a new ticket is 201, the same one again 200.
	a := documented("POST", queue, alice.do("POST", queue, nil))
	want(t, a, 201, "")
	b := documented("POST", queue, bob.do("POST", queue, nil))
	want(t, b, 201, "")
	again := documented("POST", queue, alice.do("POST", queue, nil))
	want(t, again, 200, "")
	if again.str("id") != a.str("id") || a.Body["position"] != 1.0 || b.Body["position"] != 2.0 {
		t.Fatalf("alice %s, again %s, bob %s", a.Raw, again.Raw, b.Raw)
	}
	ticket := "/api/v1/queue/" + b.str("id")
	want(t, documented("GET", ticket, alice.do("GET", ticket, nil)), 403, "FORBIDDEN")
	want(t, documented("GET", ticket, admin.do("GET", ticket, nil)), 200, "")
	want(t, documented("GET", "/api/v1/queue/q_nope", bob.do("GET", "/api/v1/queue/q_nope", nil)), 404, "NOT_FOUND")

	// Bob follows his ticket on the websocket until he is admitted, after alice.
	ws, resp, err := fws.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/ws/queue/"+b.str("id"), nil)
	if err != nil {
		t.Fatalf("dial /ws/queue: %v", err)
	}
	resp.Body.Close()
	defer ws.Close()
	var admitted map[string]any
	for admitted == nil {
		if err := ws.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		_, raw, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read /ws/queue: %v", err)
		}
		if err := checker.Message("WsQueueMessage", raw); err != nil {
			t.Errorf("%v\n%s", err, raw)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if m["status"] == "admitted" {
			admitted = m
		}
	}
	r = documented("GET", "/api/v1/queue/"+a.str("id"), alice.do("GET", "/api/v1/queue/"+a.str("id"), nil))
	if r.Body["status"] != "admitted" {
		t.Fatalf("bob was admitted before alice: %s", r.Raw)
	}
	alicePass, _ := r.Body["pass"].(string)
	bobPass, _ := admitted["pass"].(string)

	// The pass lets its fan hold on this event, nobody else, nowhere else.
	want(t, documented("POST", holds, carol.do("POST", holds, holdBody, "X-Queue-Pass", bobPass)), 403, "QUEUE_REQUIRED")
	want(t, documented("POST", holds, bob.do("POST", holds, holdBody, "X-Queue-Pass", bobPass[:len(bobPass)-2]+"xx")), 403, "QUEUE_REQUIRED")
	want(t, documented("POST", holds, bob.do("POST", holds, holdBody, "X-Queue-Pass", "garbage")), 403, "QUEUE_REQUIRED")
	want(t, documented("POST", holds, bob.do("POST", holds, holdBody, "X-Queue-Pass", bobPass)), 201, "")
	want(t, alice.do("POST", holds, holdBody, "X-Queue-Pass", alicePass), 201, "")
	// Another event with a room of its own does not take this event's pass.
	want(t, admin.do("PUT", "/api/v1/events/demo/waiting-room", map[string]any{"enabled": true}), 200, "")
	want(t, bob.do("POST", "/api/v1/events/demo/holds", holdBody, "X-Queue-Pass", bobPass), 403, "QUEUE_REQUIRED")
	want(t, admin.do("PUT", "/api/v1/events/demo/waiting-room", map[string]any{"enabled": false}), 200, "")

	r = documented("GET", room, s.anonymous().do("GET", room, nil))
	if r.Body["admitted"] != 2.0 || r.Body["waiting"] != 0.0 {
		t.Fatalf("room after both were admitted: %s", r.Raw)
	}

	// Closed again: holds need no pass.
	want(t, admin.do("PUT", room, map[string]any{"enabled": false}), 200, "")
	want(t, carol.do("POST", holds, holdBody), 201, "")
}

// TestWaitingRoomFollowsHeadroom opens a room without a fixed rate: it admits everyone,
// at a rate that rose from the initial 10 fans a second while the event's sections
// were idle.
func TestWaitingRoomFollowsHeadroom(t *testing.T) {
	s := startServer(t)
	admin := s.as("root", "admin")
	want(t, admin.do("PUT", "/api/v1/events/demo/waiting-room", map[string]any{"enabled": true}), 200, "")
	r := s.anonymous().do("GET", "/api/v1/events/demo/waiting-room", nil)
	if rate, _ := r.Body["admitting_per_s"].(float64); rate != 10 {
		t.Fatalf("a fresh room admits at %v, want the initial 10: %s", rate, r.Raw)
	}
	for i := 0; i < 200; i++ {
		want(t, s.as(fmt.Sprintf("fan-%d", i), "fan").do("POST", "/api/v1/events/demo/queue", nil), 201, "")
	}
	testenv.EventuallyEvery(t, 30*time.Second, 250*time.Millisecond, func() error {
		r := s.anonymous().do("GET", "/api/v1/events/demo/waiting-room", nil)
		rate, _ := r.Body["admitting_per_s"].(float64)
		if r.Body["admitted"] != 200.0 || rate <= 10 {
			return fmt.Errorf("room %s; want everyone admitted at a rate above the initial 10", r.Raw)
		}
		return nil
	})
}
