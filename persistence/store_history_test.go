package persistence

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// A section after a day on sale: the live part an activation needs (seats, live holds,
// confirmed orders, fresh idempotency answers) next to a long history it must not load.
const (
	historySeatRows    = 40 // of 50 seats: 2,000 seats
	historySeatsPerRow = 50
	historyLiveHolds   = 100 // one seat each, rows A and B
	historyLiveOrders  = 200 // one seat each, rows C to F
	historyFreshKeys   = 500 // idempotency answers of the last seconds
)

// historyFixture creates a reserved section of 2,000 seats with its live part, and, when
// history > 0, that many terminal holds (released, expired, and confirmed then cancelled,
// with their orders) and that many idempotency rows from the last day, inserted in bulk.
func historyFixture(tb testing.TB, s *Store, pool *pgxpool.Pool, history int) actors.SectionKey {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rows := make([]actors.RowSpec, historySeatRows)
	for i := range rows {
		rows[i] = actors.RowSpec{Label: actors.RowLabel(i), Seats: historySeatsPerRow}
	}
	ev, err := s.CreateEvent(ctx, actors.Event{ID: fmt.Sprintf("hist%d-%d", history, time.Now().UnixNano()), Name: "Long sale",
		Venue: "Hall", Currency: "USD", StartsAt: time.Now().Add(24 * time.Hour),
		Sections: []actors.Section{{ID: "hot", Name: "Hot", Kind: actors.KindReserved, PriceCents: 100, Rows: rows}}})
	if err != nil {
		tb.Fatal(err)
	}
	key := actors.SectionKey{EventID: ev.ID, SectionID: "hot"}
	reply := actors.EncodeReply(actors.HoldReply(actors.Hold{ID: actors.NewID("h_"), EventID: key.EventID, SectionID: key.SectionID,
		UserID: "someone", Seats: []string{"A-1", "A-2"}, Quantity: 2, Status: actors.HoldHeld,
		ExpiresAt: time.Now(), CreatedAt: time.Now(), UpdatedAt: time.Now()}))
	evID, sec := key.EventID, key.SectionID
	statements := []struct {
		sql  string
		args []any
	}{
		// History: terminal holds; every tenth was confirmed and its order cancelled.
		{`INSERT INTO holds (id, event_id, section_id, user_id, seats, quantity, status, expires_at, created_at, updated_at, order_id)
SELECT $1 || '/hh' || g, $1, $2, 'u' || (g % 5000), ARRAY[chr(65 + g % 40) || '-' || (1 + g % 50)], 1,
	CASE WHEN g % 10 = 0 THEN 'confirmed' WHEN g % 2 = 0 THEN 'expired' ELSE 'released' END,
	now() - interval '20 hours' + g * interval '100 milliseconds', now() - interval '21 hours' + g * interval '100 milliseconds',
	now() - interval '20 hours' + g * interval '100 milliseconds', CASE WHEN g % 10 = 0 THEN $1 || '/ho' || g END
FROM generate_series(1, $3::int) AS g`, []any{evID, sec, history}},
		{`INSERT INTO orders (id, hold_id, event_id, section_id, user_id, seats, quantity, status, total_cents, currency, created_at, updated_at)
SELECT $1 || '/ho' || g, $1 || '/hh' || g, $1, $2, 'u' || (g % 5000), ARRAY[chr(65 + g % 40) || '-' || (1 + g % 50)], 1, 'cancelled', 100, 'USD',
	now() - interval '20 hours', now() - interval '19 hours'
FROM generate_series(10, $3::int, 10) AS g`, []any{evID, sec, history}},
		{`INSERT INTO tickets (order_id, event_id, section_id, seat_id, status)
SELECT $1 || '/ho' || g, $1, $2, chr(65 + g % 40) || '-' || (1 + g % 50), 'cancelled'
FROM generate_series(10, $3::int, 10) AS g`, []any{evID, sec, history}},
		{`INSERT INTO idempotency_keys (user_id, key, event_id, section_id, request_hash, response, created_at)
SELECT 'u' || (g % 5000), $1 || '/old' || g, $1, $2, '\x00', $4::bytea, now() - interval '23 hours' + g * interval '100 milliseconds'
FROM generate_series(1, $3::int) AS g`, []any{evID, sec, history, reply}},
		// The live part: held seats in rows A and B, sold seats in rows C to F.
		{`INSERT INTO holds (id, event_id, section_id, user_id, seats, quantity, status, expires_at, created_at, updated_at)
SELECT $1 || '/lh' || g, $1, $2, 'live' || g, ARRAY[chr(65 + g / 50) || '-' || (1 + g % 50)], 1, 'held',
	now() + interval '10 minutes', now(), now()
FROM generate_series(0, $3::int - 1) AS g`, []any{evID, sec, historyLiveHolds}},
		{`UPDATE seats SET status = 'held', hold_id = h.id
FROM holds AS h WHERE h.event_id = $1 AND h.section_id = $2 AND h.status = 'held'
	AND seats.event_id = $1 AND seats.section_id = $2 AND seats.id = h.seats[1]`, []any{evID, sec}},
		{`INSERT INTO holds (id, event_id, section_id, user_id, seats, quantity, status, expires_at, created_at, updated_at, order_id)
SELECT $1 || '/sh' || g, $1, $2, 'fan' || g, ARRAY[chr(67 + g / 50) || '-' || (1 + g % 50)], 1, 'confirmed',
	now() + interval '10 minutes', now(), now(), $1 || '/so' || g
FROM generate_series(0, $3::int - 1) AS g`, []any{evID, sec, historyLiveOrders}},
		{`INSERT INTO orders (id, hold_id, event_id, section_id, user_id, seats, quantity, status, total_cents, currency, created_at, updated_at)
SELECT $1 || '/so' || g, $1 || '/sh' || g, $1, $2, 'fan' || g, ARRAY[chr(67 + g / 50) || '-' || (1 + g % 50)], 1, 'confirmed', 100, 'USD', now(), now()
FROM generate_series(0, $3::int - 1) AS g`, []any{evID, sec, historyLiveOrders}},
		{`UPDATE seats SET status = 'sold', order_id = o.id
FROM orders AS o WHERE o.event_id = $1 AND o.section_id = $2 AND o.status = 'confirmed'
	AND seats.event_id = $1 AND seats.section_id = $2 AND seats.id = o.seats[1]`, []any{evID, sec}},
		{`INSERT INTO idempotency_keys (user_id, key, event_id, section_id, request_hash, response, created_at)
SELECT 'fresh' || g, $1 || '/new' || g, $1, $2, '\x00', $4::bytea, now() - g * interval '10 milliseconds'
FROM generate_series(1, $3::int) AS g`, []any{evID, sec, historyFreshKeys, reply}},
		{`UPDATE sections SET held = $3, sold = $4 WHERE event_id = $1 AND id = $2`, []any{evID, sec, historyLiveHolds, historyLiveOrders}},
	}
	for _, st := range statements {
		if _, err := pool.Exec(ctx, st.sql, st.args...); err != nil {
			tb.Fatalf("build history: %v\n%s", err, st.sql)
		}
	}
	if _, err := pool.Exec(ctx, `ANALYZE holds; ANALYZE orders; ANALYZE idempotency_keys`); err != nil {
		tb.Fatal(err)
	}
	return key
}

// BenchmarkActivate measures one activation of a 2,000-seat section with 100 live holds,
// 200 sold seats and 500 fresh idempotency answers, with no history and after a long sale
// (200,000 terminal holds, 20,000 cancelled orders, 200,000 idempotency rows of the
// last day). An activation costs what is live, not what happened.
//
//	go test ./persistence -run '^$' -bench Activate -benchtime 50x
func BenchmarkActivate(b *testing.B) {
	pool := testPool(b)
	s := NewStore(pool, zap.NewNop())
	for _, history := range []int{0, 200_000} {
		// Built once, out here: b.Run runs its function more than once.
		key := historyFixture(b, s, pool, history)
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				snap, err := s.Activate(ctx, key, testOwner, storeKeyWindow)
				if err != nil {
					b.Fatal(err)
				}
				if len(snap.Seats) != historySeatRows*historySeatsPerRow {
					b.Fatalf("%d seats", len(snap.Seats))
				}
			}
		})
	}
}

// TestStoreActivateLoadsOnlyTheLivePart: after a long sale (200,000 terminal holds,
// 20,000 cancelled orders, 200,000 idempotency rows of the last day), an activation loads
// the seats, the 100 live holds, the 200 confirmed orders and the 500 idempotency answers
// of the last seconds, and nothing of the history.
func TestStoreActivateLoadsOnlyTheLivePart(t *testing.T) {
	history := 200_000
	if testing.Short() {
		history = 20_000
	}
	s, pool := storeNew(t)
	key := historyFixture(t, s, pool, history)
	start := time.Now()
	snap := storeActivate(t, s, key)
	t.Logf("activation with %d rows of history: %v", history, time.Since(start).Round(time.Millisecond))

	if len(snap.Seats) != historySeatRows*historySeatsPerRow {
		t.Errorf("%d seats, want %d", len(snap.Seats), historySeatRows*historySeatsPerRow)
	}
	held, sold := 0, 0
	for _, st := range snap.Seats {
		switch st.Status {
		case actors.SeatHeld:
			held++
		case actors.SeatSold:
			sold++
		}
	}
	if held != historyLiveHolds || sold != historyLiveOrders {
		t.Errorf("seats held/sold %d/%d, want %d/%d", held, sold, historyLiveHolds, historyLiveOrders)
	}
	if len(snap.Holds) != historyLiveHolds {
		t.Errorf("%d holds loaded, want the %d live ones", len(snap.Holds), historyLiveHolds)
	}
	for _, h := range snap.Holds {
		if h.Status != actors.HoldHeld || !strings.HasPrefix(h.ID, key.EventID+"/lh") {
			t.Errorf("loaded hold %s in status %s", h.ID, h.Status)
		}
	}
	if len(snap.Orders) != historyLiveOrders {
		t.Errorf("%d orders loaded, want the %d confirmed ones", len(snap.Orders), historyLiveOrders)
	}
	for _, o := range snap.Orders {
		if o.Status != actors.OrderConfirmed {
			t.Errorf("loaded order %s in status %s", o.ID, o.Status)
		}
	}
	if len(snap.Idempotency) != historyFreshKeys {
		t.Errorf("%d idempotency records loaded, want the %d of the window", len(snap.Idempotency), historyFreshKeys)
	}
	for i, r := range snap.Idempotency {
		if age := snap.DBNow.Sub(r.CreatedAt); age > storeKeyWindow || !strings.HasPrefix(r.Key, key.EventID+"/new") {
			t.Errorf("loaded record %s of age %v", r.Key, age)
		}
		if i > 0 && r.CreatedAt.Before(snap.Idempotency[i-1].CreatedAt) {
			t.Errorf("records not oldest first at %d", i)
		}
	}
	// The history is all there, for the lookups that need it.
	if n := storeCount(t, pool, `SELECT count(*) FROM holds WHERE event_id = $1 AND status <> 'held'`, key.EventID); n != history+historyLiveOrders {
		t.Errorf("%d finished holds in the store, want %d", n, history+historyLiveOrders)
	}
}
