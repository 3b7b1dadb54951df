package classic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// fixture is an event made for one test: reserved sections A (rows × perRow seats,
// accessible) and B (2 × 10), and a general-admission section "floor".
type fixture struct {
	eventID string
	a, b    actors.SectionKey
	floor   actors.SectionKey
}

const (
	priceA     = 12000
	priceFloor = 8000
	floorCap   = 5
)

// newFixture inserts the fixture with plain SQL.
func newFixture(t testing.TB, pool *pgxpool.Pool, maxPerUser, rows, perRow int) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{eventID: actors.NewID("ev_")}
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
			[]any{f.eventID, priceA, rows * perRow, priceFloor, floorCap}},
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

// baseline is what the contract tests call: the API both strategies offer.
type baseline interface {
	Hold(ctx context.Context, r actors.HoldRequest) (actors.Hold, error)
	Release(ctx context.Context, holdID, userID string) (actors.Hold, error)
	Extend(ctx context.Context, holdID, userID string) (actors.Hold, error)
	Confirm(ctx context.Context, r actors.ConfirmRequest) (actors.Order, error)
	Cancel(ctx context.Context, orderID, userID string, admin bool) (actors.Order, error)
	RunExpiry(ctx context.Context) error
	RunSequencer(ctx context.Context) error
	Sequence(ctx context.Context, key actors.SectionKey) error
	SeatMap(ctx context.Context, eventID, sectionID string) (actors.SeatMap, error)
}

var (
	_ baseline = (*Lock)(nil)
	_ baseline = (*PG)(nil)
)

// strategyNames are the strategies every contract test runs against.
var strategyNames = []string{"lock", "pg"}

// forEachStrategy runs fn as a subtest per strategy, each with a fresh strategy on pool
// (and, for Lock, a fresh Redis prefix).
func forEachStrategy(t *testing.T, pool *pgxpool.Pool, holdTTL time.Duration, fn func(t *testing.T, s baseline)) {
	t.Helper()
	for _, name := range strategyNames {
		t.Run(name, func(t *testing.T) { fn(t, newStrategy(t, name, pool, holdTTL)) })
	}
}

// newStrategy returns the named strategy on pool.
func newStrategy(t testing.TB, name string, pool *pgxpool.Pool, holdTTL time.Duration) baseline {
	t.Helper()
	if name == "pg" {
		s, err := NewPG(PGConfig{Pool: pool, HoldTTL: holdTTL, Payments: actors.SimulatedPayments{}, Logger: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s, _, _ := newLock(t, pool, holdTTL)
	return s
}

// newLock returns a Lock strategy on pool with a fresh Redis prefix.
func newLock(t testing.TB, pool *pgxpool.Pool, holdTTL time.Duration) (*Lock, *redis.Client, string) {
	t.Helper()
	rdb, prefix := testRedis(t)
	s, err := NewLock(LockConfig{
		Pool: pool, Redis: rdb, Prefix: prefix, HoldTTL: holdTTL,
		Payments: actors.SimulatedPayments{}, Logger: zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, rdb, prefix
}

// sequence moves the section's staged outbox records into the outbox, as the running
// sequencer would, so that a test reads the outbox and the section row as they settle.
func sequence(t testing.TB, pool *pgxpool.Pool, key actors.SectionKey) {
	t.Helper()
	seq, err := NewSequencer(SequencerConfig{Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := seq.Sequence(context.Background(), key); err != nil {
		t.Fatal(err)
	}
}

// errCode returns the domain error code of err, or "" for nil.
func errCode(t testing.TB, err error) actors.Code {
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

func wantCode(t testing.TB, what string, err error, want actors.Code) *actors.Error {
	t.Helper()
	if got := errCode(t, err); got != want {
		t.Fatalf("%s: error %v (code %q), want %s", what, err, got, want)
	}
	e, _ := actors.AsError(err)
	return e
}

// sectionRow reads a section's counters and version, once its staged records are
// sequenced.
func sectionRow(t testing.TB, pool *pgxpool.Pool, key actors.SectionKey) (held, sold int, version int64) {
	t.Helper()
	sequence(t, pool, key)
	if err := pool.QueryRow(context.Background(),
		`SELECT held, sold, version FROM sections WHERE event_id = $1 AND id = $2`, key.EventID, key.SectionID,
	).Scan(&held, &sold, &version); err != nil {
		t.Fatal(err)
	}
	return held, sold, version
}

// seatStates maps each named seat to "status/hold/order".
func seatStates(t testing.TB, pool *pgxpool.Pool, key actors.SectionKey, ids ...string) map[string]string {
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

// domainEnvelopes returns the section's domain envelopes in outbox order (SectionChanged
// deltas are checked on their own by sectionChanges).
func domainEnvelopes(t testing.TB, pool *pgxpool.Pool, key actors.SectionKey) []actors.Envelope {
	t.Helper()
	return envelopes(t, pool, key, "topic <> 'section.changed'")
}

// sectionChanges returns the section's SectionChanged deltas in outbox order.
func sectionChanges(t testing.TB, pool *pgxpool.Pool, key actors.SectionKey) []actors.SectionChanged {
	t.Helper()
	var out []actors.SectionChanged
	for _, e := range envelopes(t, pool, key, "topic = 'section.changed'") {
		out = append(out, envelopeData[actors.SectionChanged](t, e, actors.TypeSectionChanged))
	}
	return out
}

func envelopes(t testing.TB, pool *pgxpool.Pool, key actors.SectionKey, where string) []actors.Envelope {
	t.Helper()
	sequence(t, pool, key)
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

func envelopeData[T any](t testing.TB, e actors.Envelope, wantType string) T {
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

func holdStatusOf(t testing.TB, pool *pgxpool.Pool, id string) string {
	t.Helper()
	var status string
	if err := pool.QueryRow(context.Background(), `SELECT status FROM holds WHERE id = $1`, id).Scan(&status); err != nil {
		t.Fatal(err)
	}
	return status
}

func mustExec(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// wantNotFound fails unless err wraps actors.ErrNotFound.
func wantNotFound(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("error %v, want not found", err)
	}
}
