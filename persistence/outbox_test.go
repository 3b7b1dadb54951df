package persistence

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// outboxTestPool returns a pool whose search_path is a fresh schema holding its own
// outbox and notifications tables, so that rows other tests leave in the shared tables
// do not disturb these tests, nor theirs.
func outboxTestPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	base := testPool(t)
	ctx := context.Background()
	schema := fmt.Sprintf("outbox_test_%d", time.Now().UnixNano())
	if _, err := base.Exec(ctx, fmt.Sprintf(`
		CREATE SCHEMA %[1]s;
		CREATE TABLE %[1]s.outbox (LIKE public.outbox INCLUDING ALL);
		CREATE TABLE %[1]s.notifications (LIKE public.notifications INCLUDING ALL);`, schema)); err != nil {
		t.Fatal(err)
	}
	cfg := base.Config().Copy()
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		_, _ = base.Exec(context.Background(), "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})
	return pool
}

func outboxInsert(t *testing.T, pool *pgxpool.Pool, topic, key, payload string, age time.Duration) int64 {
	t.Helper()
	var id int64
	if err := pool.QueryRow(context.Background(), `
		INSERT INTO outbox (topic, key, payload, created_at) VALUES ($1, $2, $3, now() - $4::interval) RETURNING id`,
		topic, key, []byte(payload), fmt.Sprintf("%d milliseconds", age.Milliseconds())).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

type outboxRow struct {
	id         int64
	topic, key string
	payload    []byte
	created    time.Time
}

func outboxPending(t *testing.T, o *Outbox, limit int) []outboxRow {
	t.Helper()
	var rows []outboxRow
	if err := o.Pending(context.Background(), limit, func(id int64, topic, key string, payload []byte, created time.Time) {
		rows = append(rows, outboxRow{id, topic, key, payload, created})
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestOutboxPendingMarkAndLag(t *testing.T) {
	pool := outboxTestPool(t)
	o := NewOutbox(pool)
	ctx := context.Background()

	if n, oldest, err := o.Lag(ctx); err != nil || n != 0 || oldest != 0 {
		t.Fatalf("empty outbox: Lag = %d, %v, %v", n, oldest, err)
	}
	var ids []int64
	for i := 0; i < 5; i++ {
		ids = append(ids, outboxInsert(t, pool, "seat.reserved", fmt.Sprintf("e1/%c", 'A'+i%2), fmt.Sprintf(`{"n":%d}`, i), time.Duration(5-i)*time.Minute))
	}

	got := outboxPending(t, o, 3)
	if len(got) != 3 {
		t.Fatalf("Pending(3) returned %d records", len(got))
	}
	for i, r := range got {
		if r.id != ids[i] || r.topic != "seat.reserved" || string(r.payload) != fmt.Sprintf(`{"n":%d}`, i) || r.created.IsZero() {
			t.Errorf("record %d = %+v", i, r)
		}
	}
	n, oldest, err := o.Lag(ctx)
	if err != nil || n != 5 {
		t.Fatalf("Lag = %d, %v, %v; want 5 records", n, oldest, err)
	}
	if oldest < 5*time.Minute || oldest > 6*time.Minute {
		t.Errorf("oldest unpublished record is %v old, want about 5m", oldest)
	}

	if err := o.MarkPublished(ctx, []int64{ids[0], ids[2]}); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkPublished(ctx, []int64{ids[0]}); err != nil {
		t.Fatalf("marking again: %v", err)
	}
	if err := o.MarkPublished(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got = outboxPending(t, o, 10)
	want := []int64{ids[1], ids[3], ids[4]}
	if len(got) != len(want) {
		t.Fatalf("after marking, Pending returned %d records, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.id != want[i] {
			t.Errorf("pending record %d has id %d, want %d", i, r.id, want[i])
		}
	}
	n, oldest, err = o.Lag(ctx)
	if err != nil || n != 3 || oldest < 4*time.Minute || oldest > 5*time.Minute {
		t.Errorf("Lag = %d, %v, %v; want 3 records, the oldest about 4m old", n, oldest, err)
	}
}

func TestOutboxLockIsExclusive(t *testing.T) {
	pool := outboxTestPool(t)
	a, b := NewOutbox(pool), NewOutbox(pool)
	ctx := context.Background()

	unlock, ok, err := a.Lock(ctx)
	if err != nil || !ok {
		t.Fatalf("first Lock = %v, %v", ok, err)
	}
	if _, ok, err := b.Lock(ctx); err != nil || ok {
		t.Fatalf("second Lock while held = %v, %v; want false", ok, err)
	}
	if _, ok, err := a.Lock(ctx); err != nil || ok {
		t.Fatalf("Lock again through the holder's Outbox = %v, %v; want false", ok, err)
	}
	unlock()
	unlock() // a second call does nothing
	if got := pool.Stat().AcquiredConns(); got != 0 {
		t.Errorf("%d connections still acquired after unlock", got)
	}
	unlockB, ok, err := b.Lock(ctx)
	if err != nil || !ok {
		t.Fatalf("Lock after unlock = %v, %v", ok, err)
	}
	unlockB()
}

// TestOutboxLockSurvivesAKilledSession ends the lock holder's session from outside, as
// a database restart would: the lock must be free again, and the stale unlock must
// neither fail loudly nor put a broken connection back in the pool.
func TestOutboxLockSurvivesAKilledSession(t *testing.T) {
	pool := outboxTestPool(t)
	o := NewOutbox(pool)
	ctx := context.Background()
	unlock, ok, err := o.Lock(ctx)
	if err != nil || !ok {
		t.Fatalf("Lock = %v, %v", ok, err)
	}
	var killed bool
	if err := pool.QueryRow(ctx, `
		SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND ((classid::bigint << 32) | objid::bigint) = $1`, OutboxRelayLockKey).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate the lock holder: %v, %v", killed, err)
	}
	testenv.Eventually(t, 5*time.Second, func() error {
		unlock2, ok, err := o.Lock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return errors.New("the lock is still taken after its holder's session was terminated")
		}
		unlock2()
		return nil
	})
	unlock()
	if got := pool.Stat().AcquiredConns(); got != 0 {
		t.Errorf("%d connections still acquired", got)
	}
	if err := pool.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestOutboxRecordNotificationIsIdempotent(t *testing.T) {
	pool := outboxTestPool(t)
	o := NewOutbox(pool)
	ctx := context.Background()
	payload := []byte(`{"id":"env-1","type":"SeatReserved","version":1,"data":{"seats":["A-1"]}}`)
	for i := 0; i < 2; i++ {
		n := actors.Notification{EnvelopeID: "env-1", Topic: "seat.reserved", Key: "e1/A", Type: "SeatReserved", Partition: 2, Offset: int64(7 + i), Payload: payload}
		if err := o.RecordNotifications(ctx, []actors.Notification{n}); err != nil {
			t.Fatal(err)
		}
	}
	// A batch mixing a good envelope with one jsonb refuses keeps both.
	odd := []byte(`{"id":"env-2","data":"nul \u0000 inside"}`)
	good := []byte(`{"id":"env-3","type":"SeatReleased","version":1,"data":{}}`)
	if err := o.RecordNotifications(ctx, []actors.Notification{
		{EnvelopeID: "env-2", Topic: "seat.released", Key: "e1/A", Type: "SeatReleased", Partition: 0, Offset: 3, Payload: odd},
		{EnvelopeID: "env-3", Topic: "seat.released", Key: "e1/A", Type: "SeatReleased", Partition: 0, Offset: 4, Payload: good},
	}); err != nil {
		t.Fatalf("payload jsonb refuses: %v", err)
	}

	var (
		n       int
		topic   string
		key     string
		typ     string
		part    int32
		offset  int64
		seatOne string
		rawOdd  string
	)
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM notifications`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("notifications has %d rows (%v), want 3", n, err)
	}
	if err := pool.QueryRow(ctx, `
		SELECT topic, key, type, partition, "offset", payload->'data'->'seats'->>0
		FROM notifications WHERE envelope_id = 'env-1'`).Scan(&topic, &key, &typ, &part, &offset, &seatOne); err != nil {
		t.Fatal(err)
	}
	if topic != "seat.reserved" || key != "e1/A" || typ != "SeatReserved" || part != 2 || offset != 7 || seatOne != "A-1" {
		t.Errorf("env-1 stored as %s %s %s %d %d %s; want the first delivery", topic, key, typ, part, offset, seatOne)
	}
	if err := pool.QueryRow(ctx, `SELECT payload->>'raw_base64' FROM notifications WHERE envelope_id = 'env-2'`).Scan(&rawOdd); err != nil || rawOdd == "" {
		t.Errorf("env-2 payload not kept as base64: %q, %v", rawOdd, err)
	}
}
