package http

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// fakeAttemptLog answers one seat's history.
type fakeAttemptLog struct {
	attempts []actors.Attempt
	causes   map[int64]actors.Attempt
}

func (f *fakeAttemptLog) SeatHistory(_ context.Context, key actors.SectionKey, seat string, _ int) ([]actors.Attempt, map[int64]actors.Attempt, error) {
	if key.EventID != "e1" || key.SectionID != "A" || seat == "Z-9" {
		return nil, nil, fmt.Errorf("seat %s: %w", seat, actors.ErrNotFound)
	}
	return f.attempts, f.causes, nil
}

func TestSeatHistoryTellsAFanWhyNot(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	held := actors.Attempt{Seq: 41, At: t0, Version: 12, UserID: "bob", Action: actors.ActionHold, Seats: []string{"A-3"}}
	log := &fakeAttemptLog{
		attempts: []actors.Attempt{
			held,
			{Seq: 42, At: t0.Add(3 * time.Millisecond), Version: 12, UserID: "alice", Action: actors.ActionHold,
				Seats: []string{"A-3"}, Code: actors.CodeSeatUnavailable, CauseSeq: 41},
		},
		causes: map[int64]actors.Attempt{41: held},
	}
	e := newEnv(t, func(c *Config) { c.Attempts = log })
	const path = "/api/v1/events/e1/sections/A/seats/A-3/history"

	r := e.do(t, "GET", path, "", bearer(t, "alice", "fan"))
	r.expectStatus(t, 200)
	attempts := r.body["attempts"].([]any)
	first, second := attempts[0].(map[string]any), attempts[1].(map[string]any)
	if r.body["seat_id"] != "A-3" || first["user"] != "another fan" || first["outcome"] != "granted" || first["code"] != nil {
		t.Errorf("first attempt as alice sees it: %v", first)
	}
	if second["user"] != "you" || second["outcome"] != "refused" || second["code"] != "SEAT_UNAVAILABLE" ||
		second["reason"] != "held by an earlier request, #41, 3 ms before yours" || second["seq"] != 42.0 || second["version"] != 12.0 {
		t.Errorf("second attempt as alice sees it: %v", second)
	}

	r = e.do(t, "GET", path, "", bearer(t, "root", "admin"))
	r.expectStatus(t, 200)
	if a := r.body["attempts"].([]any); a[0].(map[string]any)["user"] != "bob" || a[1].(map[string]any)["user"] != "alice" {
		t.Errorf("an admin sees %v", a)
	}

	e.do(t, "GET", path, "", nil).expectError(t, 401, "UNAUTHENTICATED")
	e.do(t, "GET", "/api/v1/events/e1/sections/A/seats/Z-9/history", "", bearer(t, "alice", "fan")).expectError(t, 404, "NOT_FOUND")
	e.do(t, "GET", "/api/v1/events/e1/sections/A/seats/not-a-seat!/history", "", bearer(t, "alice", "fan")).expectError(t, 404, "NOT_FOUND")
}

func TestSeatHistoryWithoutALogIsNotRecorded(t *testing.T) {
	e := newEnv(t)
	e.do(t, "GET", "/api/v1/events/e1/sections/A/seats/A-3/history", "", bearer(t, "alice", "fan")).
		expectError(t, 501, "NOT_RECORDED")
}

func TestAttemptReasons(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	sold := actors.Attempt{Seq: 7, At: t0, Action: actors.ActionConfirm}
	expired := actors.Attempt{Seq: 8, At: t0, Action: actors.ActionExpire}
	causes := map[int64]actors.Attempt{7: sold, 8: expired}
	for _, tt := range []struct {
		a    actors.Attempt
		mine bool
		want string
	}{
		{actors.Attempt{Action: actors.ActionExpire}, false, "the hold expired: the seat was free again"},
		{actors.Attempt{At: t0.Add(1500 * time.Millisecond), Action: actors.ActionHold, Code: actors.CodeSeatUnavailable, CauseSeq: 7}, false,
			"sold to an earlier request, #7, 1.5 s before this one"},
		{actors.Attempt{At: t0.Add(2 * time.Minute), Action: actors.ActionConfirm, Code: actors.CodeHoldExpired, CauseSeq: 8}, true,
			"the hold had expired, #8, 2 min before this request"},
		{actors.Attempt{Action: actors.ActionHold, Code: actors.CodeSeatUnavailable}, true, "the seat was already taken"},
		{actors.Attempt{Action: actors.ActionHold, Code: actors.CodeSeatUnavailable, CauseSeq: 3}, true,
			"the seat was already taken (because of #3, no longer in the log)"},
	} {
		if got := attemptReason(tt.a, causes, tt.mine); got != tt.want {
			t.Errorf("reason of %+v = %q, want %q", tt.a, got, tt.want)
		}
	}
}
