package persistence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// lockFixture is an event made for one test: reserved sections A (rows × perRow seats,
// accessible) and B (2 × 10), and a general-admission section "floor".
type lockFixture struct {
	eventID string
	a, b    actors.SectionKey
	floor   actors.SectionKey
}

const (
	lockPriceA     = 12000
	lockPriceFloor = 8000
	lockFloorCap   = 5
)

// lockFixtureEvent inserts the fixture with plain SQL.
func lockFixtureEvent(t testing.TB, pool *pgxpool.Pool, maxPerUser, rows, perRow int) lockFixture {
	t.Helper()
	ctx := context.Background()
	f := lockFixture{eventID: actors.NewID("ev_")}
	f.a = actors.SectionKey{EventID: f.eventID, SectionID: "A"}
	f.b = actors.SectionKey{EventID: f.eventID, SectionID: "B"}
	f.floor = actors.SectionKey{EventID: f.eventID, SectionID: "floor"}
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO events (id, name, venue, starts_at, currency, max_tickets_per_user)
		  VALUES ($1, 'Lock Test', 'Arena', now() + interval '30 days', 'EUR', $2)`, []any{f.eventID, maxPerUser}},
		{`INSERT INTO sections (event_id, id, position, name, kind, price_cents, capacity)
		  VALUES ($1, 'A', 0, 'Section A', 'reserved', $2, $3),
		         ($1, 'B', 1, 'Section B', 'reserved', $2, 20),
		         ($1, 'floor', 2, 'Floor', 'general_admission', $4, $5)`,
			[]any{f.eventID, lockPriceA, rows * perRow, lockPriceFloor, lockFloorCap}},
		{`INSERT INTO seats (event_id, section_id, id, row_label, row_index, number, accessible)
		  SELECT $1, 'A', chr(65 + r) || '-' || n, chr(65 + r), r, n, r = 0 AND n <= 2
		  FROM generate_series(0, $2 - 1) r, generate_series(1, $3) n`, []any{f.eventID, rows, perRow}},
		{`INSERT INTO seats (event_id, section_id, id, row_label, row_index, number)
		  SELECT $1, 'B', chr(65 + r) || '-' || n, chr(65 + r), r, n
		  FROM generate_series(0, 1) r, generate_series(1, 10) n`, []any{f.eventID}},
	}
	for _, st := range stmts {
		if _, err := pool.Exec(ctx, st.sql, st.args...); err != nil {
			t.Fatalf("fixture: %v", err)
		}
	}
	return f
}

// lockNewStrategy returns a strategy on pool with a fresh Redis prefix.
func lockNewStrategy(t testing.TB, pool *pgxpool.Pool, holdTTL time.Duration) (*LockStrategy, *redis.Client, string) {
	t.Helper()
	rdb, prefix := testRedis(t)
	s, err := NewLockStrategy(LockConfig{
		Pool: pool, Redis: rdb, Prefix: prefix, HoldTTL: holdTTL,
		Payments: actors.SimulatedPayments{}, Logger: zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, rdb, prefix
}

// lockCode returns the domain error code of err, or "" for nil.
func lockCode(t testing.TB, err error) actors.Code {
	t.Helper()
	if err == nil {
		return ""
	}
	e, ok := actors.AsError(err)
	if !ok {
		t.Fatalf("not a domain error: %v", err)
	}
	return e.Code
}

func lockWantCode(t testing.TB, what string, err error, want actors.Code) *actors.Error {
	t.Helper()
	if got := lockCode(t, err); got != want {
		t.Fatalf("%s: error %v (code %q), want %s", what, err, got, want)
	}
	e, _ := actors.AsError(err)
	return e
}

// lockSectionRow reads a section's counters and version.
func lockSectionRow(t testing.TB, pool *pgxpool.Pool, key actors.SectionKey) (held, sold int, version int64) {
	t.Helper()
	if err := pool.QueryRow(context.Background(),
		`SELECT held, sold, version FROM sections WHERE event_id = $1 AND id = $2`, key.EventID, key.SectionID,
	).Scan(&held, &sold, &version); err != nil {
		t.Fatal(err)
	}
	return held, sold, version
}

// lockSeatStates maps each named seat to "status/hold/order".
func lockSeatStates(t testing.TB, pool *pgxpool.Pool, key actors.SectionKey, ids ...string) map[string]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT id, status || '/' || COALESCE(hold_id, '') || '/' || COALESCE(order_id, '')
		FROM seats WHERE event_id = $1 AND section_id = $2 AND id = ANY($3)`, key.EventID, key.SectionID, ids)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var id, state string
	if _, err := pgx.ForEachRow(rows, []any{&id, &state}, func() error { out[id] = state; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// lockOutbox returns the section's domain envelopes in outbox order (SectionChanged
// deltas are checked on their own by lockSectionChanges).
func lockOutbox(t testing.TB, pool *pgxpool.Pool, key actors.SectionKey) []actors.Envelope {
	t.Helper()
	return lockEnvelopes(t, pool, key, "topic <> 'section.changed'")
}

// lockSectionChanges returns the section's SectionChanged deltas in outbox order.
func lockSectionChanges(t testing.TB, pool *pgxpool.Pool, key actors.SectionKey) []actors.SectionChanged {
	t.Helper()
	var out []actors.SectionChanged
	for _, e := range lockEnvelopes(t, pool, key, "topic = 'section.changed'") {
		out = append(out, lockEnvelopeData[actors.SectionChanged](t, e, actors.TypeSectionChanged))
	}
	return out
}

func lockEnvelopes(t testing.TB, pool *pgxpool.Pool, key actors.SectionKey, where string) []actors.Envelope {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT topic, payload FROM outbox WHERE key = $1 AND `+where+` ORDER BY id`, key.Identity())
	if err != nil {
		t.Fatal(err)
	}
	var out []actors.Envelope
	var topic string
	var payload []byte
	if _, err := pgx.ForEachRow(rows, []any{&topic, &payload}, func() error {
		var e actors.Envelope
		if err := json.Unmarshal(payload, &e); err != nil {
			return err
		}
		if actors.TopicOf(e.Type) != topic || e.Version != 1 || e.EventID != key.EventID || e.SectionID != key.SectionID {
			return fmt.Errorf("envelope %+v on topic %s", e, topic)
		}
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func lockEnvelopeData[T any](t testing.TB, e actors.Envelope, wantType string) T {
	t.Helper()
	var v T
	if e.Type != wantType {
		t.Fatalf("envelope type %s, want %s", e.Type, wantType)
	}
	if err := json.Unmarshal(e.Data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func lockHoldStatus(t testing.TB, pool *pgxpool.Pool, id string) string {
	t.Helper()
	var status string
	if err := pool.QueryRow(context.Background(), `SELECT status FROM holds WHERE id = $1`, id).Scan(&status); err != nil {
		t.Fatal(err)
	}
	return status
}

func lockExec(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func TestNewLockStrategyNeedsDependencies(t *testing.T) {
	pool := testPool(t)
	rdb, _ := testRedis(t)
	cases := map[string]LockConfig{
		"no pool":      {Redis: rdb, Payments: actors.SimulatedPayments{}},
		"no redis":     {Pool: pool, Payments: actors.SimulatedPayments{}},
		"no payments":  {Pool: pool, Redis: rdb},
		"negative ttl": {Pool: pool, Redis: rdb, Payments: actors.SimulatedPayments{}, HoldTTL: -time.Second},
	}
	for name, cfg := range cases {
		if _, err := NewLockStrategy(cfg); err == nil {
			t.Errorf("%s: NewLockStrategy succeeded", name)
		}
	}
	s, err := NewLockStrategy(LockConfig{Pool: pool, Redis: rdb, Payments: actors.SimulatedPayments{}})
	if err != nil {
		t.Fatal(err)
	}
	if s.holdTTL != DefaultLockHoldTTL || s.locks.ttl != DefaultLockSeatLockTTL {
		t.Fatalf("defaults: hold ttl %v, seat lock ttl %v", s.holdTTL, s.locks.ttl)
	}
}

func TestLockHoldAndRelease(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	s, rdb, prefix := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()

	before := time.Now()
	h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-4", "A-3"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h.ID, "h_") || h.EventID != f.eventID || h.SectionID != "A" || h.UserID != "alice" ||
		h.Quantity != 2 || h.Status != actors.HoldHeld || !slices.Equal(h.Seats, []string{"A-4", "A-3"}) {
		t.Fatalf("hold = %+v", h)
	}
	if ttl := h.ExpiresAt.Sub(h.CreatedAt); ttl != time.Minute {
		t.Fatalf("expires_at - created_at = %v, want the 1m hold ttl", ttl)
	}
	if h.CreatedAt.Before(before.Add(-time.Minute)) || h.CreatedAt.After(time.Now().Add(time.Minute)) {
		t.Fatalf("created_at %v is not about now", h.CreatedAt)
	}
	want := "held/" + h.ID + "/"
	if st := lockSeatStates(t, pool, f.a, "A-3", "A-4", "A-5"); st["A-3"] != want || st["A-4"] != want || st["A-5"] != "available//" {
		t.Fatalf("seats after hold: %v", st)
	}
	held, _, version := lockSectionRow(t, pool, f.a)
	if held != 2 || version != 1 {
		t.Fatalf("section after hold: held %d version %d, want 2 and 1", held, version)
	}
	if keys := rdb.Keys(ctx, prefix+"seat-lock:*").Val(); len(keys) != 0 {
		t.Fatalf("seat locks left in redis: %v", keys)
	}
	events := lockOutbox(t, pool, f.a)
	if len(events) != 1 {
		t.Fatalf("outbox has %d envelopes, want 1", len(events))
	}
	reserved := lockEnvelopeData[actors.SeatReserved](t, events[0], actors.TypeSeatReserved)
	if reserved.HoldID != h.ID || reserved.UserID != "alice" || reserved.Quantity != 2 || reserved.SectionVersion != 1 ||
		!reserved.ExpiresAt.Equal(h.ExpiresAt) || len(reserved.Seats) != 2 {
		t.Fatalf("SeatReserved = %+v", reserved)
	}

	_, err = s.Release(ctx, h.ID, "mallory")
	lockWantCode(t, "release by another user", err, actors.CodeForbidden)
	_, err = s.Release(ctx, "h_nope", "alice")
	lockWantCode(t, "release of an unknown hold", err, actors.CodeNotFound)

	r, err := s.Release(ctx, h.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != h.ID || r.Status != actors.HoldReleased {
		t.Fatalf("released hold = %+v", r)
	}
	if st := lockSeatStates(t, pool, f.a, "A-3", "A-4"); st["A-3"] != "available//" || st["A-4"] != "available//" {
		t.Fatalf("seats after release: %v", st)
	}
	held, _, version = lockSectionRow(t, pool, f.a)
	if held != 0 || version != 2 {
		t.Fatalf("section after release: held %d version %d, want 0 and 2", held, version)
	}
	events = lockOutbox(t, pool, f.a)
	released := lockEnvelopeData[actors.SeatReleased](t, events[len(events)-1], actors.TypeSeatReleased)
	if released.HoldID != h.ID || released.Reason != actors.ReasonReleased || released.SectionVersion != 2 || released.Quantity != 2 {
		t.Fatalf("SeatReleased = %+v", released)
	}

	_, err = s.Release(ctx, h.ID, "alice")
	lockWantCode(t, "second release", err, actors.CodeHoldNotActive)
	_, err = s.Extend(ctx, h.ID, "alice")
	lockWantCode(t, "extend of a released hold", err, actors.CodeHoldNotActive)

	// The seats can be held again.
	if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "bob", Seats: []string{"A-3"}}); err != nil {
		t.Fatalf("hold of a released seat: %v", err)
	}
}

func TestLockHoldRefusals(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	s, _, _ := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "owner", Seats: []string{"B-1", "B-2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "owner", Quantity: 4}); err != nil {
		t.Fatal(err)
	}
	many := make([]string, actors.MaxSeatsPerHold+1)
	for i := range many {
		many[i] = actors.SeatID("A", i+1)
	}
	cases := []struct {
		name  string
		req   actors.HoldRequest
		code  actors.Code
		field string   // for VALIDATION_FAILED
		seats []string // for SEAT_UNAVAILABLE
	}{
		{"seats and quantity", actors.HoldRequest{SectionID: "A", Seats: []string{"A-1"}, Quantity: 1}, actors.CodeValidation, "seats", nil},
		{"neither", actors.HoldRequest{SectionID: "A"}, actors.CodeValidation, "quantity", nil},
		{"too many seats", actors.HoldRequest{SectionID: "A", Seats: many}, actors.CodeValidation, "seats", nil},
		{"too many", actors.HoldRequest{SectionID: "A", Quantity: actors.MaxSeatsPerHold + 1}, actors.CodeValidation, "quantity", nil},
		{"negative quantity", actors.HoldRequest{SectionID: "A", Quantity: -1}, actors.CodeValidation, "quantity", nil},
		{"duplicate seat", actors.HoldRequest{SectionID: "A", Seats: []string{"A-1", "A-1"}}, actors.CodeValidation, "seats", nil},
		{"malformed seat", actors.HoldRequest{SectionID: "A", Seats: []string{"A1"}}, actors.CodeValidation, "seats", nil},
		{"unknown seat", actors.HoldRequest{SectionID: "A", Seats: []string{"A-1", "Z-9"}}, actors.CodeValidation, "seats", nil},
		{"no section", actors.HoldRequest{Seats: []string{"A-1"}}, actors.CodeValidation, "section_id", nil},
		{"seats in general admission", actors.HoldRequest{SectionID: "floor", Seats: []string{"A-1"}}, actors.CodeValidation, "seats", nil},
		{"unknown section", actors.HoldRequest{SectionID: "Z", Quantity: 1}, actors.CodeNotFound, "", nil},
		{"unknown event", actors.HoldRequest{EventID: "ev_nope", SectionID: "A", Quantity: 1}, actors.CodeNotFound, "", nil},
		{"seat taken", actors.HoldRequest{SectionID: "A", Seats: []string{"B-3", "B-2", "B-1"}}, actors.CodeSeatUnavailable, "", []string{"B-1", "B-2"}},
		{"general admission sold out", actors.HoldRequest{SectionID: "floor", Quantity: 2}, actors.CodeSoldOut, "", nil},
		{"best available sold out", actors.HoldRequest{SectionID: "A", Quantity: 19}, actors.CodeSoldOut, "", nil},
		{"no accessible pair left", actors.HoldRequest{SectionID: "A", Quantity: 3, Accessible: true}, actors.CodeSoldOut, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req
			if r.EventID == "" {
				r.EventID = f.eventID
			}
			r.UserID = "fan"
			_, err := s.Hold(ctx, r)
			e := lockWantCode(t, "hold", err, tc.code)
			if tc.field != "" && e.Fields[tc.field] == "" {
				t.Fatalf("error %v does not name field %q", err, tc.field)
			}
			if tc.seats != nil && !slices.Equal(e.Seats, tc.seats) {
				t.Fatalf("unavailable seats %v, want %v", e.Seats, tc.seats)
			}
		})
	}
	var holds int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM holds WHERE event_id = $1 AND user_id = 'fan'`, f.eventID).Scan(&holds); err != nil {
		t.Fatal(err)
	}
	if holds != 0 {
		t.Fatalf("refused requests left %d holds", holds)
	}
	if st := lockSeatStates(t, pool, f.a, "B-3"); st["B-3"] != "available//" {
		t.Fatalf("seat B-3 of a refused request is %s", st["B-3"])
	}
}

func TestLockHoldRespectsSeatLocks(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	s, rdb, prefix := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	other := prefix + "seat-lock:" + f.a.Identity() + "/A-5"
	if err := rdb.Set(ctx, other, "h_someone", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-6", "A-5", "A-4"}})
	if e := lockWantCode(t, "hold of a locked seat", err, actors.CodeSeatUnavailable); !slices.Equal(e.Seats, []string{"A-5"}) {
		t.Fatalf("unavailable seats %v, want [A-5]", e.Seats)
	}
	keys := rdb.Keys(ctx, prefix+"seat-lock:*").Val()
	if !slices.Equal(keys, []string{other}) || rdb.Get(ctx, other).Val() != "h_someone" {
		t.Fatalf("seat locks after refusal: %v", keys)
	}
	if st := lockSeatStates(t, pool, f.a, "A-4", "A-5", "A-6"); st["A-4"] != "available//" || st["A-5"] != "available//" {
		t.Fatalf("seats after refusal: %v", st)
	}

	// Best available steps around a seat another request is claiming: with
	// locked the centred pair of the front row is out of reach, so it takes another.
	if err := rdb.Set(ctx, prefix+"seat-lock:"+f.a.Identity()+"/A-6", "h_someone", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Seats) != 2 || slices.Contains(h.Seats, "A-5") || slices.Contains(h.Seats, "A-6") {
		t.Fatalf("best available took %v around locked A-5, A-6", h.Seats)
	}
}

func TestLockBestAvailable(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 20, 3, 10)
	s, _, _ := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Quantity: 4})
	if err != nil {
		t.Fatal(err)
	}
	// are accessible, so the centred A-4…A-7 would strand A-3.
	if !slices.Equal(h.Seats, []string{"A-3", "A-4", "A-5", "A-6"}) || h.Quantity != 4 {
		t.Fatalf("best available 4 = %v (quantity %d), want A-3…A-6", h.Seats, h.Quantity)
	}
	acc, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "bob", Quantity: 2, Accessible: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(acc.Seats, []string{"A-1", "A-2"}) {
		t.Fatalf("accessible pair = %v, want A-1, A-2", acc.Seats)
	}
	st := lockSeatStates(t, pool, f.a, "A-1", "A-3", "A-6", "A-7")
	if st["A-1"] != "held/"+acc.ID+"/" || st["A-3"] != "held/"+h.ID+"/" || st["A-6"] != "held/"+h.ID+"/" || st["A-7"] != "available//" {
		t.Fatalf("seats after best available: %v", st)
	}
	if held, _, _ := lockSectionRow(t, pool, f.a); held != 6 {
		t.Fatalf("section held %d, want 6", held)
	}
}

func TestLockGeneralAdmission(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	s, _, _ := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "alice", Quantity: 3})
	if err != nil {
		t.Fatal(err)
	}
	if h.Quantity != 3 || len(h.Seats) != 0 || h.Status != actors.HoldHeld {
		t.Fatalf("GA hold = %+v", h)
	}
	_, err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "bob", Quantity: 3})
	lockWantCode(t, "GA beyond capacity", err, actors.CodeSoldOut)
	o, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"})
	if err != nil {
		t.Fatal(err)
	}
	if o.TotalCents != 3*lockPriceFloor || o.Quantity != 3 || o.Currency != "EUR" {
		t.Fatalf("GA order = %+v", o)
	}
	if held, sold, _ := lockSectionRow(t, pool, f.floor); held != 0 || sold != 3 {
		t.Fatalf("GA after confirm: held %d sold %d", held, sold)
	}
	b, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "bob", Quantity: 2})
	if err != nil {
		t.Fatalf("GA hold of the last two: %v", err)
	}
	if _, err := s.Release(ctx, b.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cancel(ctx, o.ID, "alice", false); err != nil {
		t.Fatal(err)
	}
	if held, sold, version := lockSectionRow(t, pool, f.floor); held != 0 || sold != 0 || version != 5 {
		t.Fatalf("GA after release and cancel: held %d sold %d version %d, want 0 0 5", held, sold, version)
	}
}

func TestLockExtend(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	s, _, _ := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Extend(ctx, h.ID, "bob")
	lockWantCode(t, "extend by another user", err, actors.CodeForbidden)
	_, err = s.Extend(ctx, "h_nope", "alice")
	lockWantCode(t, "extend of an unknown hold", err, actors.CodeNotFound)

	// Fresh hold: extended to a full ttl from now.
	lockExec(t, pool, `UPDATE holds SET expires_at = now() + interval '10 seconds' WHERE id = $1`, h.ID)
	e, err := s.Extend(ctx, h.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var dbNow time.Time
	if err := pool.QueryRow(ctx, `SELECT now()`).Scan(&dbNow); err != nil {
		t.Fatal(err)
	}
	if d := e.ExpiresAt.Sub(dbNow); d < 50*time.Second || d > time.Minute {
		t.Fatalf("extended expiry is %v from now, want about the 1m ttl", d)
	}
	// Old hold: capped at 3 × ttl after creation.
	lockExec(t, pool, `UPDATE holds SET created_at = now() - interval '150 seconds', expires_at = now() + interval '10 seconds' WHERE id = $1`, h.ID)
	e, err = s.Extend(ctx, h.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.ExpiresAt.Sub(e.CreatedAt); got != 3*time.Minute {
		t.Fatalf("capped expiry is %v after creation, want 3m", got)
	}
	// A hold past its expiry is expired, not extended.
	lockExec(t, pool, `UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = $1`, h.ID)
	_, err = s.Extend(ctx, h.ID, "alice")
	lockWantCode(t, "extend of an expired hold", err, actors.CodeHoldExpired)
	if got := lockHoldStatus(t, pool, h.ID); got != "expired" {
		t.Fatalf("hold status %s after extending past expiry, want expired", got)
	}
	if st := lockSeatStates(t, pool, f.a, "A-1"); st["A-1"] != "available//" {
		t.Fatalf("seat of the expired hold: %s", st["A-1"])
	}
}

func TestLockConfirmAndCancel(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	s, _, _ := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"B-1", "B-2"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "bob", PaymentToken: "tok_ok"})
	lockWantCode(t, "confirm by another user", err, actors.CodeForbidden)
	_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice"})
	lockWantCode(t, "confirm without a token", err, actors.CodeValidation)
	_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: "h_nope", UserID: "alice", PaymentToken: "tok_ok"})
	lockWantCode(t, "confirm of an unknown hold", err, actors.CodeNotFound)

	o, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(o.ID, "o_") || o.HoldID != h.ID || o.UserID != "alice" || o.Status != actors.OrderConfirmed ||
		o.TotalCents != 2*lockPriceA || o.Currency != "EUR" || !slices.Equal(o.Seats, h.Seats) || o.CreatedAt.IsZero() {
		t.Fatalf("order = %+v", o)
	}
	sold := "sold/" + h.ID + "/" + o.ID
	if st := lockSeatStates(t, pool, f.a, "B-1", "B-2"); st["B-1"] != sold || st["B-2"] != sold {
		t.Fatalf("seats after confirm: %v", st)
	}
	var holdStatus, holdOrder string
	if err := pool.QueryRow(ctx, `SELECT status, order_id FROM holds WHERE id = $1`, h.ID).Scan(&holdStatus, &holdOrder); err != nil {
		t.Fatal(err)
	}
	if holdStatus != "confirmed" || holdOrder != o.ID {
		t.Fatalf("hold after confirm: %s, order %s", holdStatus, holdOrder)
	}
	var tickets int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM tickets WHERE order_id = $1 AND status = 'sold'`, o.ID).Scan(&tickets); err != nil {
		t.Fatal(err)
	}
	if tickets != 2 {
		t.Fatalf("%d sold tickets, want 2", tickets)
	}
	held, soldN, version := lockSectionRow(t, pool, f.a)
	if held != 0 || soldN != 2 || version != 2 {
		t.Fatalf("section after confirm: held %d sold %d version %d", held, soldN, version)
	}
	events := lockOutbox(t, pool, f.a)
	if len(events) != 3 {
		t.Fatalf("%d envelopes after confirm, want 3", len(events))
	}
	created := lockEnvelopeData[actors.BookingCreated](t, events[1], actors.TypeBookingCreated)
	paid := lockEnvelopeData[actors.PaymentProcessed](t, events[2], actors.TypePaymentProcessed)
	if created.OrderID != o.ID || created.TotalCents != o.TotalCents || created.SectionVersion != 2 ||
		paid.Status != "approved" || paid.OrderID != o.ID || paid.AmountCents != o.TotalCents {
		t.Fatalf("BookingCreated %+v, PaymentProcessed %+v", created, paid)
	}

	_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"})
	lockWantCode(t, "second confirm", err, actors.CodeHoldNotActive)
	_, err = s.Release(ctx, h.ID, "alice")
	lockWantCode(t, "release of a confirmed hold", err, actors.CodeHoldNotActive)

	_, err = s.Cancel(ctx, o.ID, "bob", false)
	lockWantCode(t, "cancel by another fan", err, actors.CodeForbidden)
	_, err = s.Cancel(ctx, "o_nope", "alice", false)
	lockWantCode(t, "cancel of an unknown order", err, actors.CodeNotFound)
	c, err := s.Cancel(ctx, o.ID, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != o.ID || c.Status != actors.OrderCancelled || !slices.Equal(c.Seats, o.Seats) {
		t.Fatalf("cancelled order = %+v", c)
	}
	if st := lockSeatStates(t, pool, f.a, "B-1", "B-2"); st["B-1"] != "available//" || st["B-2"] != "available//" {
		t.Fatalf("seats after cancel: %v", st)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM tickets WHERE order_id = $1 AND status = 'cancelled'`, o.ID).Scan(&tickets); err != nil {
		t.Fatal(err)
	}
	if tickets != 2 {
		t.Fatalf("%d cancelled tickets, want 2", tickets)
	}
	if held, soldN, version = lockSectionRow(t, pool, f.a); held != 0 || soldN != 0 || version != 3 {
		t.Fatalf("section after cancel: held %d sold %d version %d", held, soldN, version)
	}
	events = lockOutbox(t, pool, f.a)
	bc := lockEnvelopeData[actors.BookingCancelled](t, events[3], actors.TypeBookingCancelled)
	rel := lockEnvelopeData[actors.SeatReleased](t, events[4], actors.TypeSeatReleased)
	if bc.OrderID != o.ID || bc.SectionVersion != 3 || rel.Reason != actors.ReasonCancelled || rel.OrderID != o.ID || len(rel.Seats) != 2 {
		t.Fatalf("BookingCancelled %+v, SeatReleased %+v", bc, rel)
	}
	_, err = s.Cancel(ctx, o.ID, "alice", false)
	lockWantCode(t, "second cancel", err, actors.CodeHoldNotActive)

	// An admin may cancel anyone's order, and a cancelled seat sells again.
	h2, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "carol", Seats: []string{"B-1"}})
	if err != nil {
		t.Fatalf("hold of a cancelled seat: %v", err)
	}
	o2, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h2.ID, UserID: "carol", PaymentToken: "tok_ok"})
	if err != nil {
		t.Fatalf("resale of a cancelled seat: %v", err)
	}
	if _, err := s.Cancel(ctx, o2.ID, "admin-1", true); err != nil {
		t.Fatalf("admin cancel: %v", err)
	}
}

func TestLockConfirmDeclined(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	s, _, _ := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: actors.DeclinedToken})
	lockWantCode(t, "declined confirm", err, actors.CodePaymentDeclined)
	if got := lockHoldStatus(t, pool, h.ID); got != "held" {
		t.Fatalf("hold status %s after a decline, want held", got)
	}
	if st := lockSeatStates(t, pool, f.a, "A-1"); st["A-1"] != "held/"+h.ID+"/" {
		t.Fatalf("seat after a decline: %s", st["A-1"])
	}
	events := lockOutbox(t, pool, f.a)
	declined := lockEnvelopeData[actors.PaymentProcessed](t, events[len(events)-1], actors.TypePaymentProcessed)
	if declined.Status != "declined" || declined.HoldID != h.ID || declined.AmountCents != lockPriceA || declined.OrderID != "" {
		t.Fatalf("PaymentProcessed after a decline = %+v", declined)
	}
	if _, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"}); err != nil {
		t.Fatalf("confirm after a decline: %v", err)
	}
}

func TestLockExpiredHoldRefused(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	s, _, _ := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-1", "A-2"}})
	if err != nil {
		t.Fatal(err)
	}
	lockExec(t, pool, `UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = $1`, h.ID)
	_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"})
	lockWantCode(t, "confirm past expiry", err, actors.CodeHoldExpired)
	if got := lockHoldStatus(t, pool, h.ID); got != "expired" {
		t.Fatalf("hold status %s, want expired", got)
	}
	if st := lockSeatStates(t, pool, f.a, "A-1", "A-2"); st["A-1"] != "available//" || st["A-2"] != "available//" {
		t.Fatalf("seats of the expired hold: %v", st)
	}
	if held, _, _ := lockSectionRow(t, pool, f.a); held != 0 {
		t.Fatalf("held %d after expiry", held)
	}
	_, err = s.Release(ctx, h.ID, "alice")
	lockWantCode(t, "release of an expired hold", err, actors.CodeHoldExpired)
	_, err = s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"})
	lockWantCode(t, "confirm of an expired hold", err, actors.CodeHoldExpired)

	// Release of a hold past its expiry that the sweeper has not reached yet.
	h2, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "alice", Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	lockExec(t, pool, `UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = $1`, h2.ID)
	_, err = s.Release(ctx, h2.ID, "alice")
	lockWantCode(t, "release past expiry", err, actors.CodeHoldExpired)
	if held, _, _ := lockSectionRow(t, pool, f.floor); held != 0 {
		t.Fatalf("GA held %d after expiry", held)
	}
}

func TestLockIdempotency(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	s, _, _ := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	// Idempotency keys are per user and outlive the test's event: fresh users per run.
	alice, bob := "alice-"+f.eventID, "bob-"+f.eventID
	req := actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: alice, Seats: []string{"A-1", "A-2"}, IdempotencyKey: "k1"}
	first, err := s.Hold(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	req.Seats = []string{"A-2", "A-1"} // the same set
	again, err := s.Hold(ctx, req)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if again.ID != first.ID || !again.ExpiresAt.Equal(first.ExpiresAt) || again.Status != actors.HoldHeld {
		t.Fatalf("replay = %+v, want %+v", again, first)
	}
	req.Seats = []string{"A-3"}
	_, err = s.Hold(ctx, req)
	lockWantCode(t, "same key, other seats", err, actors.CodeIdempotencyConflict)
	// Keys belong to users: bob may use k1 too.
	if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: bob, Seats: []string{"A-3"}, IdempotencyKey: "k1"}); err != nil {
		t.Fatalf("another user's k1: %v", err)
	}

	conf := actors.ConfirmRequest{HoldID: first.ID, UserID: alice, PaymentToken: "tok_ok", IdempotencyKey: "k2"}
	o1, err := s.Confirm(ctx, conf)
	if err != nil {
		t.Fatal(err)
	}
	o2, err := s.Confirm(ctx, conf)
	if err != nil {
		t.Fatalf("confirm replay: %v", err)
	}
	if o1.ID != o2.ID || o2.TotalCents != o1.TotalCents || !o2.CreatedAt.Equal(o1.CreatedAt) {
		t.Fatalf("confirm replay = %+v, want %+v", o2, o1)
	}
	conf.PaymentToken = "tok_other"
	_, err = s.Confirm(ctx, conf)
	lockWantCode(t, "confirm key with another token", err, actors.CodeIdempotencyConflict)
	conf.IdempotencyKey = "k1"
	conf.PaymentToken = "tok_ok"
	_, err = s.Confirm(ctx, conf)
	lockWantCode(t, "confirm with a hold's key", err, actors.CodeIdempotencyConflict)

	var holds, orders int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM holds WHERE event_id = $1 AND user_id = $2),
		(SELECT count(*) FROM orders WHERE event_id = $1 AND user_id = $2)`, f.eventID, alice).Scan(&holds, &orders); err != nil {
		t.Fatal(err)
	}
	if holds != 1 || orders != 1 {
		t.Fatalf("%d holds and %d orders for alice, want 1 and 1", holds, orders)
	}
}

func TestLockIdempotencyConcurrentRetries(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	s, _, _ := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	// Idempotency keys are per user and outlive the test's event: fresh users per run.
	alice := "alice-" + f.eventID
	req := actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: alice, Quantity: 1, IdempotencyKey: "retry"}
	const n = 8
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			h, err := s.Hold(ctx, req)
			ids[i], errs[i] = h.ID, err
		})
	}
	wg.Wait()
	first := ""
	for i := range n {
		if errs[i] != nil {
			lockWantCode(t, fmt.Sprintf("retry %d", i), errs[i], actors.CodeUnavailable)
			continue
		}
		if first == "" {
			first = ids[i]
		}
		if ids[i] != first {
			t.Fatalf("retries answered with holds %s and %s", first, ids[i])
		}
	}
	if first == "" {
		t.Fatal("no retry got the hold")
	}
	if held, _, _ := lockSectionRow(t, pool, f.floor); held != 1 {
		t.Fatalf("%d retries of one request hold %d places, want 1", n, held)
	}
}

func TestLockPerUserLimit(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 4, 2, 10)
	s, _, _ := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	h, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: "alice", Seats: []string{"A-1", "A-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "alice", PaymentToken: "tok_ok"}); err != nil {
		t.Fatal(err)
	}
	g, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "alice", Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	// 2 bought in A + 1 held on the floor + 2 asked in B > 4.
	_, err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "B", UserID: "alice", Seats: []string{"A-1", "A-2"}})
	lockWantCode(t, "fifth ticket", err, actors.CodeLimitExceeded)
	_, err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "B", UserID: "alice", Quantity: 2})
	lockWantCode(t, "fifth ticket, best available", err, actors.CodeLimitExceeded)
	_, err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "floor", UserID: "alice", Quantity: 2})
	lockWantCode(t, "fifth ticket, general admission", err, actors.CodeLimitExceeded)
	if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "B", UserID: "bob", Seats: []string{"A-1", "A-2"}}); err != nil {
		t.Fatalf("another user: %v", err)
	}
	if _, err := s.Release(ctx, g.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "B", UserID: "alice", Quantity: 2}); err != nil {
		t.Fatalf("hold after releasing: %v", err)
	}
}

func TestLockRunExpiry(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	s, _, _ := lockNewStrategy(t, pool, time.Minute)
	ctx := context.Background()
	var holds []actors.Hold
	for _, r := range []actors.HoldRequest{
		{SectionID: "A", Seats: []string{"A-1", "A-2"}},
		{SectionID: "A", Seats: []string{"A-3"}},
		{SectionID: "floor", Quantity: 2},
		{SectionID: "A", Seats: []string{"A-9"}}, // stays: not due
	} {
		r.EventID, r.UserID = f.eventID, "alice"
		h, err := s.Hold(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		holds = append(holds, h)
	}
	lockExec(t, pool, `UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = ANY($1)`,
		[]string{holds[0].ID, holds[1].ID, holds[2].ID})
	_, _, versionA := lockSectionRow(t, pool, f.a)

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.RunExpiry(runCtx) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM holds WHERE event_id = $1 AND status = 'expired'`, f.eventID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 3 due holds expired", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("RunExpiry returned %v after cancel, want nil", err)
	}

	if got := lockHoldStatus(t, pool, holds[3].ID); got != "held" {
		t.Fatalf("hold not yet due is %s", got)
	}
	st := lockSeatStates(t, pool, f.a, "A-1", "A-2", "A-3", "A-9")
	if st["A-1"] != "available//" || st["A-2"] != "available//" || st["A-3"] != "available//" || st["A-9"] != "held/"+holds[3].ID+"/" {
		t.Fatalf("seats after expiry: %v", st)
	}
	heldA, _, v := lockSectionRow(t, pool, f.a)
	if heldA != 1 || v != versionA+1 {
		t.Fatalf("section A after expiry: held %d version %d, want 1 and %d (one batch)", heldA, v, versionA+1)
	}
	if heldFloor, _, _ := lockSectionRow(t, pool, f.floor); heldFloor != 0 {
		t.Fatalf("floor held %d after expiry", heldFloor)
	}
	expired := map[string]bool{}
	for _, key := range []actors.SectionKey{f.a, f.floor} {
		for _, e := range lockOutbox(t, pool, key) {
			if e.Type != actors.TypeSeatReleased {
				continue
			}
			rel := lockEnvelopeData[actors.SeatReleased](t, e, actors.TypeSeatReleased)
			if rel.Reason != actors.ReasonExpired {
				t.Fatalf("SeatReleased reason %q, want expired", rel.Reason)
			}
			expired[rel.HoldID] = true
		}
	}
	if len(expired) != 3 || !expired[holds[0].ID] || !expired[holds[1].ID] || !expired[holds[2].ID] {
		t.Fatalf("SeatReleased(expired) for %v", expired)
	}
}

func TestLockBumpSectionVersionCheck(t *testing.T) {
	pool := testPool(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = lockBumpSection(ctx, tx, f.a, 1, 0, 7)
	if !errors.Is(err, errLockVersionConflict) {
		t.Fatalf("stale version error %v is not a version conflict", err)
	}
	ch, err := lockBumpSection(ctx, tx, f.a, 1, 0, 0)
	if v := ch.Version; err != nil || v != 1 {
		t.Fatalf("bump at the current version = %d, %v; want 1", ch.Version, err)
	}
}

// TestLockInTxRetriesVersionConflicts: a transaction whose version check keeps failing
// is retried, then reported as UNAVAILABLE; one that succeeds on a retry commits.
func TestLockInTxRetriesVersionConflicts(t *testing.T) {
	pool := testPool(t)
	rdb, prefix := testRedis(t)
	ls, err := NewLockStrategy(LockConfig{Pool: pool, Redis: rdb, Prefix: prefix, Payments: actors.SimulatedPayments{}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	err = ls.inTx(context.Background(), func(pgx.Tx) error { calls++; return errLockVersionConflict })
	lockWantCode(t, "always conflicting", err, actors.CodeUnavailable)
	if calls != lockVersionRetries {
		t.Fatalf("ran %d times, want %d", calls, lockVersionRetries)
	}
	calls = 0
	err = ls.inTx(context.Background(), func(pgx.Tx) error {
		calls++
		if calls < 3 {
			return errLockVersionConflict
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("conflict then success: %v after %d calls", err, calls)
	}
}

// TestLockSectionChangedPerVersion: every version bump writes exactly one SectionChanged
// delta, versions rise by one with no gap, and each carries the seats it changed.
func TestLockSectionChangedPerVersion(t *testing.T) {
	pool := testPool(t)
	rdb, prefix := testRedis(t)
	f := lockFixtureEvent(t, pool, 8, 2, 10)
	ls, err := NewLockStrategy(LockConfig{Pool: pool, Redis: rdb, Prefix: prefix, Payments: actors.SimulatedPayments{}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := ls.Hold(ctx, actors.HoldRequest{EventID: f.a.EventID, SectionID: f.a.SectionID, UserID: "u1", Seats: []string{"A-3", "A-4"}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := ls.Confirm(ctx, actors.ConfirmRequest{HoldID: h.ID, UserID: "u1", PaymentToken: "tok_ok"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Cancel(ctx, o.ID, "u1", false); err != nil {
		t.Fatal(err)
	}
	got := lockSectionChanges(t, pool, f.a)
	want := []actors.SeatStatus{actors.SeatHeld, actors.SeatSold, actors.SeatAvailable}
	if len(got) != len(want) {
		t.Fatalf("%d SectionChanged deltas, want %d", len(got), len(want))
	}
	for i, ch := range got {
		if ch.Version != int64(i+1) {
			t.Fatalf("delta %d has version %d", i, ch.Version)
		}
		if len(ch.Changes) != 2 || ch.Changes[0].Status != want[i] || ch.Changes[1].Status != want[i] {
			t.Fatalf("delta %d changes %+v, want both seats %s", i, ch.Changes, want[i])
		}
	}
	if got[1].Sold != 2 || got[1].Held != 0 || got[2].Sold != 0 {
		t.Fatalf("counters: %+v", got)
	}
}

// TestLockBestAvailableContendedIsRetryable: when every free seat is being claimed by
// someone else, a quantity request is told to retry (UNAVAILABLE), never SEAT_UNAVAILABLE
// about seats it did not name, nor SOLD_OUT while seats may still come free.
func TestLockBestAvailableContendedIsRetryable(t *testing.T) {
	pool := testPool(t)
	rdb, prefix := testRedis(t)
	f := lockFixtureEvent(t, pool, 8, 1, 4)
	ls, err := NewLockStrategy(LockConfig{Pool: pool, Redis: rdb, Prefix: prefix, Payments: actors.SimulatedPayments{}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	all := []string{"A-1", "A-2", "A-3", "A-4"}
	locks := newSeatLocks(rdb, prefix, time.Minute)
	if taken, err := locks.acquire(ctx, f.a, all, "someone-else"); err != nil || len(taken) > 0 {
		t.Fatalf("lock seats: %v %v", taken, err)
	}
	_, err = ls.Hold(ctx, actors.HoldRequest{EventID: f.a.EventID, SectionID: f.a.SectionID, UserID: "u1", Quantity: 2})
	lockWantCode(t, "contended best available", err, actors.CodeUnavailable)
	if err := locks.release(ctx, f.a, all, "someone-else"); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Hold(ctx, actors.HoldRequest{EventID: f.a.EventID, SectionID: f.a.SectionID, UserID: "u1", Quantity: 2}); err != nil {
		t.Fatalf("after the locks are gone: %v", err)
	}
}
