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
		CREATE TABLE %[1]s.notifications (LIKE public.notifications INCLUDING ALL);
		CREATE TABLE %[1]s.relay_lease (LIKE public.relay_lease INCLUDING ALL);
		INSERT INTO %[1]s.relay_lease (name) VALUES ('outbox');`, schema)); err != nil {
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
	if err := o.Pending(context.Background(), 0, nil, limit, nil, func(id int64, topic, key string, payload []byte, created time.Time) {
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

	token, ok, err := o.AcquireRelayLease(ctx, "relay-a", time.Minute)
	if err != nil || !ok {
		t.Fatalf("AcquireRelayLease = %v, %v", ok, err)
	}
	if ok, err := o.MarkPublished(ctx, token, []int64{ids[0], ids[2]}); err != nil || !ok {
		t.Fatalf("MarkPublished = %v, %v", ok, err)
	}
	if ok, err := o.MarkPublished(ctx, token, []int64{ids[0]}); err != nil || !ok {
		t.Fatalf("marking again: %v, %v", ok, err)
	}
	if ok, err := o.MarkPublished(ctx, token, nil); err != nil || !ok {
		t.Fatalf("marking nothing: %v, %v", ok, err)
	}
	var skipped []int64
	var after []int64
	if err := o.Pending(ctx, ids[3], nil, 10, nil, func(id int64, _, _ string, _ []byte, _ time.Time) {
		after = append(after, id)
	}); err != nil {
		t.Fatal(err)
	}
	if len(after) != 1 || after[0] != ids[4] {
		t.Errorf("Pending after %d returned %v, want [%d]", ids[3], after, ids[4])
	}
	if err := o.Pending(ctx, 0, nil, 10, []string{"e1/A"}, func(id int64, _, key string, _ []byte, _ time.Time) {
		skipped = append(skipped, id)
	}); err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 2 || skipped[0] != ids[1] || skipped[1] != ids[3] {
		t.Errorf("Pending skipping key e1/A returned %v, want [%d %d]", skipped, ids[1], ids[3])
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

func TestRelayLeaseIsExclusiveAndFences(t *testing.T) {
	pool := outboxTestPool(t)
	a, b := NewOutbox(pool), NewOutbox(pool)
	ctx := context.Background()
	id := outboxInsert(t, pool, "seat.reserved", "e1/A", `{"n":1}`, 0)

	tokenA, ok, err := a.AcquireRelayLease(ctx, "relay-a", time.Minute)
	if err != nil || !ok {
		t.Fatalf("first acquire = %v, %v", ok, err)
	}
	if _, ok, err := b.AcquireRelayLease(ctx, "relay-b", time.Minute); err != nil || ok {
		t.Fatalf("second acquire while held = %v, %v; want false", ok, err)
	}
	if ok, err := a.RenewRelayLease(ctx, tokenA, 50*time.Millisecond); err != nil || !ok {
		t.Fatalf("renew by the holder = %v, %v", ok, err)
	}
	// A's time runs out while it is paused; B takes over with a new token.
	var tokenB int64
	testenv.Eventually(t, 5*time.Second, func() error {
		var err error
		tokenB, ok, err = b.AcquireRelayLease(ctx, "relay-b", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return errors.New("the lease is still held after its time ran out")
		}
		return nil
	})
	if tokenB <= tokenA {
		t.Fatalf("token after takeover %d, want above %d", tokenB, tokenA)
	}
	// A wakes up: it can neither renew, nor mark, nor release B's lease.
	if ok, err := a.RenewRelayLease(ctx, tokenA, time.Minute); err != nil || ok {
		t.Errorf("renew with a superseded token = %v, %v; want false", ok, err)
	}
	if ok, err := a.MarkPublished(ctx, tokenA, []int64{id}); err != nil || ok {
		t.Errorf("mark with a superseded token = %v, %v; want false", ok, err)
	}
	if got := outboxPending(t, a, 10); len(got) != 1 {
		t.Fatalf("%d records pending after a fenced mark, want 1", len(got))
	}
	if err := a.ReleaseRelayLease(ctx, tokenA); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.AcquireRelayLease(ctx, "relay-a", time.Minute); err != nil || ok {
		t.Fatalf("acquire after a stale release = %v, %v; want false", ok, err)
	}
	if ok, err := b.MarkPublished(ctx, tokenB, []int64{id}); err != nil || !ok {
		t.Fatalf("mark by the holder = %v, %v", ok, err)
	}
	if got := outboxPending(t, b, 10); len(got) != 0 {
		t.Fatalf("%d records pending after the holder marked them", len(got))
	}
	// Releasing frees the lease at once.
	if err := b.ReleaseRelayLease(ctx, tokenB); err != nil {
		t.Fatal(err)
	}
	if tokenC, ok, err := a.AcquireRelayLease(ctx, "relay-a", time.Minute); err != nil || !ok || tokenC <= tokenB {
		t.Fatalf("acquire after release = %d, %v, %v; want a token above %d", tokenC, ok, err, tokenB)
	}
}

// TestRelayLeaseTakeoverWaitsForAMark holds a mark's share lock open in a transaction
// (as a mark in progress does) while another relay takes over: the takeover waits until
// the mark commits, so no mark of the old holder lands after the new one starts.
func TestRelayLeaseTakeoverWaitsForAMark(t *testing.T) {
	pool := outboxTestPool(t)
	o := NewOutbox(pool)
	ctx := context.Background()
	tokenA, ok, err := o.AcquireRelayLease(ctx, "relay-a", 10*time.Millisecond)
	if err != nil || !ok {
		t.Fatalf("acquire = %v, %v", ok, err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var epoch int64
	if err := tx.QueryRow(ctx, `SELECT epoch FROM relay_lease WHERE name = 'outbox' AND epoch = $1 FOR SHARE`, tokenA).Scan(&epoch); err != nil {
		t.Fatal(err)
	}
	acquired := make(chan int64, 1)
	go func() {
		// The lease has run out by now or soon: this waits only for the lock.
		for {
			token, ok, err := o.AcquireRelayLease(ctx, "relay-b", time.Minute)
			if err != nil || ok {
				acquired <- token
				return
			}
		}
	}()
	select {
	case token := <-acquired:
		t.Fatalf("took the lease over (token %d) while a mark held it", token)
	case <-time.After(200 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case token := <-acquired:
		if token <= tokenA {
			t.Fatalf("takeover token %d, want above %d", token, tokenA)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the takeover did not go through after the mark committed")
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

// TestOutboxLagCountIsCapped shows that the backlog count stops at its cap while the
// oldest record's age is still the oldest's.
func TestOutboxLagCountIsCapped(t *testing.T) {
	pool := outboxTestPool(t)
	o := NewOutbox(pool)
	for i := 0; i < 5; i++ {
		outboxInsert(t, pool, "seat.reserved", "e1/A", fmt.Sprintf(`{"n":%d}`, i), time.Duration(5-i)*time.Minute)
	}
	n, oldest, err := o.lag(context.Background(), 3)
	if err != nil || n != 3 {
		t.Fatalf("lag with a cap of 3 over 5 records = %d, %v, %v; want 3", n, oldest, err)
	}
	if oldest < 5*time.Minute || oldest > 6*time.Minute {
		t.Errorf("oldest unpublished record is %v old, want about 5m", oldest)
	}
}
