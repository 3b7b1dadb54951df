package http

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestAppendHoldBodyMatchesJSON: a hold's answer written by hand is the one
// encoding/json writes, byte for byte, and a hold it cannot write is left to
// encoding/json.
func TestAppendHoldBodyMatchesJSON(t *testing.T) {
	berlin := time.FixedZone("CEST", 2*60*60)
	base := actors.Hold{ID: "hld_1", EventID: "ev_1", SectionID: "hot", UserID: "fan1",
		Seats: []string{"A-1", "A-2"}, Quantity: 2, Status: actors.HoldHeld,
		ExpiresAt: time.Date(2026, 12, 7, 10, 5, 0, 0, time.UTC), CreatedAt: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	plain := map[string]func(h *actors.Hold){
		"seats":           func(*actors.Hold) {},
		"no seats":        func(h *actors.Hold) { h.Seats = nil; h.Quantity = 0 },
		"empty seats":     func(h *actors.Hold) { h.Seats = []string{} },
		"nanoseconds":     func(h *actors.Hold) { h.ExpiresAt = h.ExpiresAt.Add(123456789) },
		"milliseconds":    func(h *actors.Hold) { h.ExpiresAt = h.ExpiresAt.Add(120 * time.Millisecond) },
		"one nanosecond":  func(h *actors.Hold) { h.CreatedAt = h.CreatedAt.Add(1) },
		"another zone":    func(h *actors.Hold) { h.ExpiresAt = h.ExpiresAt.In(berlin) },
		"zero times":      func(h *actors.Hold) { h.ExpiresAt, h.CreatedAt = time.Time{}, time.Time{} },
		"year 9999":       func(h *actors.Hold) { h.ExpiresAt = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC) },
		"monotonic clock": func(h *actors.Hold) { h.CreatedAt = time.Now() },
		"empty strings":   func(h *actors.Hold) { h.ID, h.EventID, h.SectionID, h.UserID, h.Status = "", "", "", "", "" },
	}
	for name, change := range plain {
		h := base
		change(&h)
		want, err := json.Marshal(toHoldJSON(h))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendHoldBody([]byte("x"), &h)
		if !ok || string(got) != "x"+string(want) {
			t.Errorf("%s: got %s (%v), want x%s", name, got, ok, want)
		}
	}
	other := map[string]func(h *actors.Hold){
		"quote in id":      func(h *actors.Hold) { h.ID = `h"1` },
		"html in user":     func(h *actors.Hold) { h.UserID = "<fan>" },
		"non-ASCII seat":   func(h *actors.Hold) { h.Seats = []string{"Å-1"} },
		"control in event": func(h *actors.Hold) { h.EventID = "ev\n1" },
		"year 10000":       func(h *actors.Hold) { h.ExpiresAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"year before 0":    func(h *actors.Hold) { h.CreatedAt = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	for name, change := range other {
		h := base
		change(&h)
		if got, ok := appendHoldBody(nil, &h); ok {
			t.Errorf("%s: written by hand as %s", name, got)
		}
	}
}

// TestHoldAnswerBody: a won hold is answered 201 with its JSON body and content type,
// through the app, as encoding/json writes it.
func TestHoldAnswerBody(t *testing.T) {
	srv := hotPathServer(t, &decidedReservations{})
	tok, _, err := IssueToken(testSecret, "fan1", "", time.Hour, testNow)
	if err != nil {
		t.Fatal(err)
	}
	rc := newHoldCtx(tok)
	srv.App().Handler()(rc)
	if got := rc.Response.StatusCode(); got != 201 {
		t.Fatalf("status %d: %s", got, rc.Response.Body())
	}
	if ct := string(rc.Response.Header.ContentType()); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	want, _ := json.Marshal(toHoldJSON(actors.Hold{ID: "hld_1", EventID: "ev_1", SectionID: "hot", UserID: "fan1",
		Seats: []string{"A-1", "A-2"}, Quantity: 2, Status: actors.HoldHeld,
		ExpiresAt: testNow.Add(5 * time.Minute), CreatedAt: testNow}))
	if got := string(rc.Response.Body()); got != string(want) {
		t.Errorf("body %s, want %s", got, want)
	}
}
