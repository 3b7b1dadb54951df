package http

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// SectionRecord answers section e1/A's record from the fake's attempts, after after, at
// most limit; the batch that committed version 12 wrote attempts up to #41.
func (f *fakeAttemptLog) SectionRecord(_ context.Context, key actors.SectionKey, after int64, limit int) (actors.RecordPage, error) {
	if key.EventID != "e1" || key.SectionID != "A" {
		return actors.RecordPage{}, fmt.Errorf("section %s: %w", key.Identity(), actors.ErrNotFound)
	}
	p := actors.RecordPage{Committed: map[int64]int64{12: 41}}
	for _, a := range f.attempts {
		p.LastSeq = a.Seq
		if p.FirstSeq == 0 {
			p.FirstSeq = a.Seq
		}
		if a.Seq > after && len(p.Attempts) < limit {
			p.Attempts = append(p.Attempts, a)
		}
	}
	return p, nil
}

func TestSectionRecordListsAttemptsWithTheirBatches(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	log := &fakeAttemptLog{attempts: []actors.Attempt{
		{Seq: 41, At: t0, ReceivedAt: t0.Add(-2 * time.Millisecond), Version: 12, UserID: "bob", Action: actors.ActionHold, Seats: []string{"A-3"}, Ref: "h1"},
		{Seq: 42, At: t0.Add(3 * time.Millisecond), Version: 12, UserID: "alice", Action: actors.ActionHold,
			Seats: []string{"A-3"}, Code: actors.CodeSeatUnavailable, CauseSeq: 41},
		{Seq: 43, At: t0.Add(4 * time.Millisecond), Version: 13, UserID: "carol", Action: actors.ActionHold,
			Code: actors.CodeSoldOut},
	}}
	e := newEnv(t, func(c *Config) { c.Attempts = log })
	const path = "/api/v1/admin/sections/e1/A/record"
	admin := bearer(t, "root", "admin")

	r := e.do(t, "GET", path, "", admin)
	r.expectStatus(t, 200)
	attempts := r.body["attempts"].([]any)
	if len(attempts) != 3 || r.body["first_seq"] != 41.0 || r.body["last_seq"] != 43.0 || r.body["next_after"] != nil {
		t.Fatalf("record = %v", r.body)
	}
	first, second, third := attempts[0].(map[string]any), attempts[1].(map[string]any), attempts[2].(map[string]any)
	if first["user_id"] != "bob" || first["outcome"] != "granted" || first["code"] != nil || first["cause_seq"] != nil ||
		first["ref"] != "h1" || first["batch"].(map[string]any)["record_only"] != false {
		t.Errorf("first attempt: %v", first)
	}
	if first["received_at"] != "2026-06-01T11:59:59.998Z" {
		t.Errorf("first attempt received at %v, want 2 ms before its decision", first["received_at"])
	}
	if _, ok := second["received_at"]; !ok || second["received_at"] != nil {
		t.Errorf("second attempt, arrival unknown: received_at %v (present %v), want null", second["received_at"], ok)
	}
	if second["outcome"] != "refused" || second["code"] != "SEAT_UNAVAILABLE" || second["cause_seq"] != 41.0 ||
		second["batch"].(map[string]any)["record_only"] != true || second["batch"].(map[string]any)["version"] != 12.0 {
		t.Errorf("second attempt: %v", second)
	}
	if seats, ok := third["seats"].([]any); !ok || len(seats) != 0 || third["cause_seq"] != nil {
		t.Errorf("third attempt: %v", third)
	}

	r = e.do(t, "GET", path+"?after=41&limit=1", "", admin)
	r.expectStatus(t, 200)
	if a := r.body["attempts"].([]any); len(a) != 1 || a[0].(map[string]any)["seq"] != 42.0 || r.body["next_after"] != 42.0 {
		t.Errorf("a page of one after #41: %v", r.body)
	}

	e.do(t, "GET", path, "", nil).expectError(t, 401, "UNAUTHENTICATED")
	e.do(t, "GET", path, "", bearer(t, "alice", "fan")).expectError(t, 403, "FORBIDDEN")
	e.do(t, "GET", path+"?after=-1", "", admin).expectError(t, 400, "VALIDATION_FAILED")
	e.do(t, "GET", path+"?limit=0", "", admin).expectError(t, 400, "VALIDATION_FAILED")
	e.do(t, "GET", path+"?limit=x", "", admin).expectError(t, 400, "VALIDATION_FAILED")
	e.do(t, "GET", "/api/v1/admin/sections/e1/ZZ/record", "", admin).expectError(t, 404, "NOT_FOUND")
}

func TestSectionRecordWithoutALogIsNotRecorded(t *testing.T) {
	e := newEnv(t)
	e.do(t, "GET", "/api/v1/admin/sections/e1/A/record", "", bearer(t, "root", "admin")).expectError(t, 501, "NOT_RECORDED")
}
