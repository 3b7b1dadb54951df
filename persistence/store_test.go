package persistence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// storeCtx returns a context that ends with the test or after 30 seconds.
func storeCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// storeNew returns a Store on the package's test database.
func storeNew(t *testing.T) (*Store, *pgxpool.Pool) {
	t.Helper()
	pool := testPool(t)
	return NewStore(pool, zap.NewNop()), pool
}

// storeEventID returns an event id unique to this test run, readable in the database.
func storeEventID(t *testing.T) string {
	t.Helper()
	name := strings.Map(func(r rune) rune {
		if actors.ValidSectionID(string(r)) {
			return r
		}
		return '_'
	}, t.Name())
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return name + "-" + hex.EncodeToString(b[:])
}

// storeFixtureEvent creates an event with a reserved section "A" (rows A and B of four
// seats, A-1 accessible) and a general-admission section "ga" of ten.
func storeFixtureEvent(t *testing.T, s *Store) actors.Event {
	t.Helper()
	ev, err := s.CreateEvent(storeCtx(t), actors.Event{
		ID: storeEventID(t), Name: "Fixture", Venue: "Hall", Currency: "EUR",
		StartsAt: time.Date(2031, 5, 1, 19, 0, 0, 0, time.UTC),
		Sections: []actors.Section{
			{ID: "A", Name: "Section A", Kind: actors.KindReserved, PriceCents: 5000,
				Rows: []actors.RowSpec{{Label: "A", Seats: 4}, {Label: "B", Seats: 4}}, Accessible: []string{"A-1"}},
			{ID: "ga", Name: "Standing", Kind: actors.KindGeneralAdmission, PriceCents: 2000, Capacity: 10},
		},
	})
	if err != nil {
		t.Fatalf("create fixture event: %v", err)
	}
	return ev
}

// storeKeyWindow is the idempotency window the tests activate with: twice the retry
// horizon of the default Client, as the section actor's default is.
var storeKeyWindow = 2 * actors.ClientConfig{}.RetryHorizon()

// storeActivate activates key and fails the test on error.
func storeActivate(t *testing.T, s *Store, key actors.SectionKey) *actors.Snapshot {
	t.Helper()
	snap, err := s.Activate(storeCtx(t), key, testOwner, storeKeyWindow)
	if err != nil {
		t.Fatalf("activate %s: %v", key, err)
	}
	return snap
}

// storeCommit commits b and fails the test on error.
func storeCommit(t *testing.T, s *Store, b *actors.Batch) {
	t.Helper()
	if err := s.Commit(storeCtx(t), b); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// storeCount runs a count query.
func storeCount(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(storeCtx(t), query, args...).Scan(&n); err != nil {
		t.Fatalf("count %q: %v", query, err)
	}
	return n
}

// storeVersion reads a section's version.
func storeVersion(t *testing.T, pool *pgxpool.Pool, key actors.SectionKey) int64 {
	t.Helper()
	var v int64
	if err := pool.QueryRow(storeCtx(t), `SELECT version FROM sections WHERE event_id = $1 AND id = $2`, key.EventID, key.SectionID).Scan(&v); err != nil {
		t.Fatalf("read version of %s: %v", key, err)
	}
	return v
}

// storeSeat reads one seat's status, hold and order.
func storeSeat(t *testing.T, pool *pgxpool.Pool, key actors.SectionKey, id string) string {
	t.Helper()
	var status, hold, order string
	err := pool.QueryRow(storeCtx(t), `
SELECT status, coalesce(hold_id, ''), coalesce(order_id, '') FROM seats
WHERE event_id = $1 AND section_id = $2 AND id = $3`, key.EventID, key.SectionID, id).Scan(&status, &hold, &order)
	if err != nil {
		t.Fatalf("read seat %s of %s: %v", id, key, err)
	}
	return status + "/" + hold + "/" + order
}

// storeOutbox returns the payloads of the outbox rows of key, in id order.
func storeOutbox(t *testing.T, pool *pgxpool.Pool, key actors.SectionKey) []string {
	t.Helper()
	rows, err := pool.Query(storeCtx(t), `SELECT topic, payload FROM outbox WHERE key = $1 ORDER BY id`, key.Identity())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var topic string
		var payload []byte
		if err := rows.Scan(&topic, &payload); err != nil {
			t.Fatal(err)
		}
		out = append(out, topic+":"+string(payload))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// storeHoldBatch is a batch that holds seats for user under holdID, with an idempotency
// record and an outbox message.
func storeHoldBatch(snap *actors.Snapshot, version int64, holdID, userID string, seats ...string) *actors.Batch {
	b := &actors.Batch{Key: snap.Key, Epoch: snap.Epoch, Version: version, Held: len(seats)}
	for _, id := range seats {
		b.Seats = append(b.Seats, actors.SeatChange{ID: id, Status: actors.SeatHeld, HoldID: holdID})
	}
	b.Holds = []actors.Hold{{
		ID: holdID, EventID: snap.Key.EventID, SectionID: snap.Key.SectionID, UserID: userID,
		Seats: seats, Quantity: len(seats), Status: actors.HoldHeld,
		ExpiresAt: snap.DBNow.Add(10 * time.Minute), CreatedAt: snap.DBNow, UpdatedAt: snap.DBNow,
	}}
	b.Keys = []actors.IdempotencyRecord{{UserID: userID, Key: "key-" + holdID, RequestHash: []byte("hash-" + holdID), Response: []byte("reply-" + holdID)}}
	b.Outbox = []actors.OutboxMessage{{Topic: actors.TopicSeatReserved, Key: snap.Key.Identity(), Payload: []byte(holdID)}}
	return b
}

// storeConfirmBatch is a batch that turns hold into order orderID: its seats become sold.
func storeConfirmBatch(snap *actors.Snapshot, version int64, hold actors.Hold, orderID string) *actors.Batch {
	at := snap.DBNow.Add(time.Minute)
	b := &actors.Batch{Key: snap.Key, Epoch: snap.Epoch, Version: version}
	for _, id := range hold.Seats {
		b.Seats = append(b.Seats, actors.SeatChange{ID: id, Status: actors.SeatSold, OrderID: orderID})
	}
	hold.Status, hold.OrderID, hold.UpdatedAt = actors.HoldConfirmed, orderID, at
	b.Holds = []actors.Hold{hold}
	b.Orders = []actors.Order{{
		ID: orderID, HoldID: hold.ID, EventID: hold.EventID, SectionID: hold.SectionID, UserID: hold.UserID,
		Seats: hold.Seats, Quantity: hold.Quantity, Status: actors.OrderConfirmed,
		TotalCents: int64(hold.Quantity) * 5000, Currency: "EUR", CreatedAt: at, UpdatedAt: at,
	}}
	b.Outbox = []actors.OutboxMessage{{Topic: actors.TopicBookingCreated, Key: snap.Key.Identity(), Payload: []byte(orderID)}}
	return b
}

func TestStoreActivateMissingSectionIsNotFound(t *testing.T) {
	s, _ := storeNew(t)
	ev := storeFixtureEvent(t, s)
	for _, key := range []actors.SectionKey{{EventID: ev.ID, SectionID: "nope"}, {EventID: ev.ID + "-nope", SectionID: "A"}} {
		if _, err := s.Activate(storeCtx(t), key, testOwner, storeKeyWindow); !errors.Is(err, actors.ErrNotFound) {
			t.Errorf("activate %s: want ErrNotFound, got %v", key, err)
		}
	}
}

func TestStoreActivateLoadsSection(t *testing.T) {
	s, _ := storeNew(t)
	ev := storeFixtureEvent(t, s)
	snap := storeActivate(t, s, actors.SectionKey{EventID: ev.ID, SectionID: "A"})
	if snap.Epoch != 1 || snap.Version != 0 {
		t.Errorf("epoch/version = %d/%d, want 1/0", snap.Epoch, snap.Version)
	}
	if snap.Kind != actors.KindReserved || snap.Name != "Section A" || snap.PriceCents != 5000 || snap.Capacity != 8 ||
		snap.Currency != "EUR" || snap.MaxTicketsPerUser != actors.DefaultMaxTicketsPerUser {
		t.Errorf("section fields: %+v", snap)
	}
	var ids []string
	for _, st := range snap.Seats {
		ids = append(ids, st.ID)
		if st.Status != actors.SeatAvailable || st.Accessible != (st.ID == "A-1") {
			t.Errorf("seat %+v", st)
		}
	}
	if want := []string{"A-1", "A-2", "A-3", "A-4", "B-1", "B-2", "B-3", "B-4"}; !slices.Equal(ids, want) {
		t.Errorf("seats %v, want %v", ids, want)
	}
	if snap.Seats[4].Row != "B" || snap.Seats[4].RowIndex != 1 || snap.Seats[4].Number != 1 {
		t.Errorf("seat B-1 = %+v", snap.Seats[4])
	}
	if d := time.Since(snap.DBNow); d < -time.Minute || d > time.Minute {
		t.Errorf("DBNow %v is not the database's clock", snap.DBNow)
	}
	ga := storeActivate(t, s, actors.SectionKey{EventID: ev.ID, SectionID: "ga"})
	if ga.Kind != actors.KindGeneralAdmission || ga.Capacity != 10 || len(ga.Seats) != 0 {
		t.Errorf("ga snapshot %+v", ga)
	}
}

func TestStoreCommitFencedByNewerActivation(t *testing.T) {
	s, pool := storeNew(t)
	ev := storeFixtureEvent(t, s)
	key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
	user := ev.ID + "-u"
	first := storeActivate(t, s, key)
	second := storeActivate(t, s, key)
	if second.Epoch != first.Epoch+1 || second.Version != first.Version {
		t.Fatalf("second activation epoch/version %d/%d after %d/%d", second.Epoch, second.Version, first.Epoch, first.Version)
	}

	stale := storeHoldBatch(first, first.Version, ev.ID+"-h-stale", user, "A-1")
	if err := s.Commit(storeCtx(t), stale); !errors.Is(err, actors.ErrFenced) {
		t.Fatalf("stale epoch: want ErrFenced, got %v", err)
	}
	if got := storeSeat(t, pool, key, "A-1"); got != "available//" {
		t.Errorf("fenced batch wrote seat A-1: %s", got)
	}
	if n := storeCount(t, pool, `SELECT count(*) FROM holds WHERE id = $1`, ev.ID+"-h-stale"); n != 0 {
		t.Errorf("fenced batch wrote its hold")
	}
	if n := storeCount(t, pool, `SELECT count(*) FROM idempotency_keys WHERE user_id = $1`, user); n != 0 {
		t.Errorf("fenced batch wrote its idempotency key")
	}
	if got := storeOutbox(t, pool, key); len(got) != 0 {
		t.Errorf("fenced batch wrote outbox rows %v", got)
	}
	if v := storeVersion(t, pool, key); v != second.Version {
		t.Errorf("fenced batch moved the version to %d", v)
	}

	storeCommit(t, s, storeHoldBatch(second, second.Version, ev.ID+"-h-fresh", user, "A-1"))
	if v := storeVersion(t, pool, key); v != second.Version+1 {
		t.Errorf("version after commit = %d, want %d", v, second.Version+1)
	}
	if got := storeSeat(t, pool, key, "A-1"); got != "held/"+ev.ID+"-h-fresh/" {
		t.Errorf("seat A-1 after commit: %s", got)
	}

	// The same epoch with a version that already moved on is fenced too.
	again := storeHoldBatch(second, second.Version, ev.ID+"-h-again", user, "A-2")
	if err := s.Commit(storeCtx(t), again); !errors.Is(err, actors.ErrFenced) {
		t.Fatalf("stale version: want ErrFenced, got %v", err)
	}
	if got := storeSeat(t, pool, key, "A-2"); got != "available//" {
		t.Errorf("fenced batch wrote seat A-2: %s", got)
	}
	if n := storeCount(t, pool, `SELECT count(*) FROM holds WHERE id = $1`, ev.ID+"-h-again"); n != 0 {
		t.Errorf("fenced batch wrote its hold")
	}
	if got := storeOutbox(t, pool, key); len(got) != 1 {
		t.Errorf("outbox after one good commit: %v", got)
	}
	if v := storeVersion(t, pool, key); v != second.Version+1 {
		t.Errorf("fenced batch moved the version to %d", v)
	}
}

func TestStoreCommitFailureLeavesNothing(t *testing.T) {
	cases := []struct {
		name  string
		batch func(snap *actors.Snapshot, version int64, prefix string) *actors.Batch
		want  error // nil: any error that is neither ErrFenced nor ErrDoubleSale
	}{
		{
			name: "order sells a sold seat",
			batch: func(snap *actors.Snapshot, version int64, prefix string) *actors.Batch {
				b := storeHoldBatch(snap, version, prefix+"-h2", prefix+"-u2", "A-2")
				hold := b.Holds[0]
				hold.Seats = []string{"A-1"} // sold to o1 already
				c := storeConfirmBatch(snap, version, hold, prefix+"-o2")
				b.Holds = c.Holds
				b.Orders = c.Orders
				b.Outbox = append(b.Outbox, c.Outbox...)
				return b
			},
			want: ErrDoubleSale,
		},
		{
			name: "held seat without a hold",
			batch: func(snap *actors.Snapshot, version int64, prefix string) *actors.Batch {
				b := storeHoldBatch(snap, version, prefix+"-h2", prefix+"-u2", "A-2")
				b.Seats = append(b.Seats, actors.SeatChange{ID: "A-3", Status: actors.SeatHeld})
				return b
			},
		},
		{
			name: "unknown seat",
			batch: func(snap *actors.Snapshot, version int64, prefix string) *actors.Batch {
				return storeHoldBatch(snap, version, prefix+"-h2", prefix+"-u2", "A-2", "Q-9")
			},
		},
		{
			name: "hold id of another section",
			batch: func(snap *actors.Snapshot, version int64, prefix string) *actors.Batch {
				return storeHoldBatch(snap, version, prefix+"-gahold", prefix+"-u2", "A-2")
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, pool := storeNew(t)
			ev := storeFixtureEvent(t, s)
			key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
			snap := storeActivate(t, s, key)
			v := snap.Version
			h1 := storeHoldBatch(snap, v, ev.ID+"-h1", ev.ID+"-u1", "A-1")
			storeCommit(t, s, h1)
			storeCommit(t, s, storeConfirmBatch(snap, v+1, h1.Holds[0], ev.ID+"-o1"))
			ga := storeActivate(t, s, actors.SectionKey{EventID: ev.ID, SectionID: "ga"})
			gaHold := storeHoldBatch(ga, ga.Version, ev.ID+"-gahold", ev.ID+"-u3")
			gaHold.Held, gaHold.Holds[0].Quantity = 1, 1
			storeCommit(t, s, gaHold)
			snap = storeActivate(t, s, key)
			before := storeOutbox(t, pool, key)
			tickets := storeCount(t, pool, `SELECT count(*) FROM tickets WHERE event_id = $1`, ev.ID)

			err := s.Commit(storeCtx(t), tc.batch(snap, snap.Version, ev.ID))
			switch {
			case err == nil:
				t.Fatal("commit succeeded")
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("want %v, got %v", tc.want, err)
			case tc.want == nil && (errors.Is(err, actors.ErrFenced) || errors.Is(err, ErrDoubleSale)):
				t.Fatalf("misclassified: %v", err)
			case !errors.Is(err, actors.ErrRolledBack) || errors.Is(err, actors.ErrCommitUnknown):
				t.Fatalf("a statement failed before the COMMIT, yet the outcome is not a rollback: %v", err)
			}
			t.Logf("error: %v", err)

			if got := storeVersion(t, pool, key); got != snap.Version {
				t.Errorf("version %d after a failed batch, want %d", got, snap.Version)
			}
			for seat, want := range map[string]string{"A-1": "sold//" + ev.ID + "-o1", "A-2": "available//", "A-3": "available//"} {
				if got := storeSeat(t, pool, key, seat); got != want {
					t.Errorf("seat %s = %s, want %s", seat, got, want)
				}
			}
			if n := storeCount(t, pool, `SELECT count(*) FROM holds WHERE id = $1`, ev.ID+"-h2"); n != 0 {
				t.Error("failed batch left its hold")
			}
			if n := storeCount(t, pool, `SELECT count(*) FROM holds WHERE id = $1 AND section_id = 'ga' AND seats = '{}'`, ev.ID+"-gahold"); n != 1 {
				t.Error("failed batch changed the other section's hold")
			}
			if n := storeCount(t, pool, `SELECT count(*) FROM orders WHERE id = $1`, ev.ID+"-o2"); n != 0 {
				t.Error("failed batch left its order")
			}
			if n := storeCount(t, pool, `SELECT count(*) FROM idempotency_keys WHERE user_id = $1`, ev.ID+"-u2"); n != 0 {
				t.Error("failed batch left its idempotency key")
			}
			if n := storeCount(t, pool, `SELECT count(*) FROM tickets WHERE event_id = $1`, ev.ID); n != tickets {
				t.Errorf("tickets %d, want %d", n, tickets)
			}
			if got := storeOutbox(t, pool, key); !slices.Equal(got, before) {
				t.Errorf("outbox %v, want %v", got, before)
			}

			// The section is not fenced by the failure: the same batch point commits.
			storeCommit(t, s, storeHoldBatch(snap, snap.Version, ev.ID+"-h3", ev.ID+"-u1", "A-2"))
		})
	}
}

func TestStoreCommitHoldConfirmCancel(t *testing.T) {
	s, pool := storeNew(t)
	ev := storeFixtureEvent(t, s)
	key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
	user, holdID, orderID := ev.ID+"-u", ev.ID+"-h1", ev.ID+"-o1"
	snap := storeActivate(t, s, key)
	v := snap.Version

	hold := storeHoldBatch(snap, v, holdID, user, "A-1", "A-2")
	// A seat changed twice in one batch ends in its last state.
	hold.Seats = append(hold.Seats,
		actors.SeatChange{ID: "A-3", Status: actors.SeatHeld, HoldID: ev.ID + "-gone"},
		actors.SeatChange{ID: "A-3", Status: actors.SeatAvailable})
	hold.Outbox = append(hold.Outbox, actors.OutboxMessage{Topic: actors.TopicSeatReleased, Key: key.Identity(), Payload: []byte("gone")})
	storeCommit(t, s, hold)
	if got := storeSeat(t, pool, key, "A-3"); got != "available//" {
		t.Errorf("seat A-3 = %s, want its last state", got)
	}

	confirm := storeConfirmBatch(snap, v+1, hold.Holds[0], orderID)
	confirm.Held, confirm.Sold = 0, 2
	confirm.Outbox = append(confirm.Outbox, actors.OutboxMessage{Topic: actors.TopicPaymentProcessed, Key: key.Identity(), Payload: []byte("paid")})
	storeCommit(t, s, confirm)
	if n := storeCount(t, pool, `SELECT count(*) FROM tickets WHERE order_id = $1 AND status = 'sold' AND event_id = $2 AND section_id = 'A'`, orderID, ev.ID); n != 2 {
		t.Errorf("sold tickets = %d, want 2", n)
	}

	// A second activation sees everything committed so far.
	snap2 := storeActivate(t, s, key)
	if snap2.Epoch != snap.Epoch+1 || snap2.Version != v+2 {
		t.Errorf("epoch/version %d/%d, want %d/%d", snap2.Epoch, snap2.Version, snap.Epoch+1, v+2)
	}
	for _, st := range snap2.Seats {
		want := actors.Seat{Status: actors.SeatAvailable}
		if st.ID == "A-1" || st.ID == "A-2" {
			want = actors.Seat{Status: actors.SeatSold, OrderID: orderID}
		}
		if st.Status != want.Status || st.OrderID != want.OrderID || st.HoldID != "" {
			t.Errorf("seat %s = %+v, want %+v", st.ID, st, want)
		}
	}
	if len(snap2.Holds) != 0 {
		t.Errorf("confirmed hold still loaded as held: %+v", snap2.Holds)
	}
	if len(snap2.Orders) != 1 {
		t.Fatalf("orders %+v, want one", snap2.Orders)
	}
	o := snap2.Orders[0]
	want := confirm.Orders[0]
	if o.ID != want.ID || o.HoldID != holdID || o.UserID != user || !slices.Equal(o.Seats, []string{"A-1", "A-2"}) ||
		o.Quantity != 2 || o.Status != actors.OrderConfirmed || o.TotalCents != 10000 || o.Currency != "EUR" ||
		!o.CreatedAt.Equal(want.CreatedAt) || o.EventID != ev.ID || o.SectionID != "A" {
		t.Errorf("order %+v, want %+v", o, want)
	}
	if len(snap2.Idempotency) != 1 || snap2.Idempotency[0].Key != "key-"+holdID || string(snap2.Idempotency[0].Response) != "reply-"+holdID ||
		string(snap2.Idempotency[0].RequestHash) != "hash-"+holdID || snap2.Idempotency[0].SectionID != "A" {
		t.Errorf("idempotency records %+v", snap2.Idempotency)
	}
	h, err := s.GetHold(storeCtx(t), holdID)
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != actors.HoldConfirmed || h.OrderID != orderID || !h.ExpiresAt.Equal(hold.Holds[0].ExpiresAt) || !h.CreatedAt.Equal(snap.DBNow) {
		t.Errorf("hold after confirm %+v", h)
	}

	cancelAt := snap2.DBNow
	cancel := &actors.Batch{Key: key, Epoch: snap2.Epoch, Version: snap2.Version}
	for _, id := range o.Seats {
		cancel.Seats = append(cancel.Seats, actors.SeatChange{ID: id, Status: actors.SeatAvailable})
	}
	o.Status, o.UpdatedAt = actors.OrderCancelled, cancelAt
	cancel.Orders = []actors.Order{o}
	cancel.Outbox = []actors.OutboxMessage{
		{Topic: actors.TopicBookingCancelled, Key: key.Identity(), Payload: []byte("cancelled")},
		{Topic: actors.TopicSeatReleased, Key: key.Identity(), Payload: []byte("released")},
	}
	storeCommit(t, s, cancel)
	if n := storeCount(t, pool, `SELECT count(*) FROM tickets WHERE order_id = $1 AND status = 'cancelled'`, orderID); n != 2 {
		t.Errorf("cancelled tickets = %d, want 2", n)
	}
	if n := storeCount(t, pool, `SELECT count(*) FROM tickets WHERE order_id = $1 AND status = 'sold'`, orderID); n != 0 {
		t.Errorf("sold tickets after cancel = %d", n)
	}
	snap3 := storeActivate(t, s, key)
	if len(snap3.Orders) != 0 {
		t.Errorf("cancelled order still loaded: %+v", snap3.Orders)
	}
	for _, st := range snap3.Seats {
		if st.Status != actors.SeatAvailable || st.OrderID != "" || st.HoldID != "" {
			t.Errorf("seat after cancel %+v", st)
		}
	}
	got, err := s.GetOrder(storeCtx(t), orderID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != actors.OrderCancelled || !got.UpdatedAt.Equal(cancelAt) || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("order after cancel %+v", got)
	}

	wantOutbox := []string{
		"seat.reserved:" + holdID, "seat.released:gone",
		"booking.created:" + orderID, "payment.processed:paid",
		"booking.cancelled:cancelled", "seat.released:released",
	}
	if got := storeOutbox(t, pool, key); !slices.Equal(got, wantOutbox) {
		t.Errorf("outbox %v, want %v", got, wantOutbox)
	}
}

func TestStoreCommitGeneralAdmission(t *testing.T) {
	s, pool := storeNew(t)
	ev := storeFixtureEvent(t, s)
	key := actors.SectionKey{EventID: ev.ID, SectionID: "ga"}
	user, holdID, orderID := ev.ID+"-u", ev.ID+"-gh", ev.ID+"-go"
	snap := storeActivate(t, s, key)

	hold := storeHoldBatch(snap, snap.Version, holdID, user)
	hold.Held, hold.Holds[0].Quantity = 3, 3
	storeCommit(t, s, hold)
	snap2 := storeActivate(t, s, key)
	if snap2.Held != 3 || snap2.Sold != 0 || len(snap2.Holds) != 1 || snap2.Holds[0].Quantity != 3 || len(snap2.Holds[0].Seats) != 0 {
		t.Fatalf("after hold: held %d sold %d holds %+v", snap2.Held, snap2.Sold, snap2.Holds)
	}

	confirm := storeConfirmBatch(snap2, snap2.Version, snap2.Holds[0], orderID)
	confirm.Held, confirm.Sold = 0, 3
	storeCommit(t, s, confirm)
	snap3 := storeActivate(t, s, key)
	if snap3.Held != 0 || snap3.Sold != 3 || len(snap3.Holds) != 0 || len(snap3.Orders) != 1 || snap3.Orders[0].Quantity != 3 {
		t.Errorf("after confirm: held %d sold %d holds %+v orders %+v", snap3.Held, snap3.Sold, snap3.Holds, snap3.Orders)
	}
	if n := storeCount(t, pool, `SELECT count(*) FROM tickets WHERE order_id = $1`, orderID); n != 0 {
		t.Errorf("general admission order has %d tickets", n)
	}

	// The counters are checked by the database: more than the capacity fails.
	over := &actors.Batch{Key: key, Epoch: snap3.Epoch, Version: snap3.Version, Sold: 11}
	if err := s.Commit(storeCtx(t), over); err == nil || errors.Is(err, actors.ErrFenced) {
		t.Errorf("over capacity: got %v", err)
	}
}

func TestStoreCommitLargeBatch(t *testing.T) {
	s, pool := storeNew(t)
	rows := make([]actors.RowSpec, 20)
	for i := range rows {
		rows[i] = actors.RowSpec{Label: actors.RowLabel(i), Seats: 20}
	}
	ev, err := s.CreateEvent(storeCtx(t), actors.Event{
		ID: storeEventID(t), Name: "Big", Venue: "Hall", Currency: "EUR", StartsAt: time.Now(),
		Sections: []actors.Section{{ID: "big", Kind: actors.KindReserved, Rows: rows}},
	})
	if err != nil {
		t.Fatal(err)
	}
	key := actors.SectionKey{EventID: ev.ID, SectionID: "big"}
	snap := storeActivate(t, s, key)
	b := &actors.Batch{Key: key, Epoch: snap.Epoch, Version: snap.Version}
	for i := 0; i < len(snap.Seats); i += 2 {
		hb := storeHoldBatch(snap, snap.Version, fmt.Sprintf("%s-h%d", ev.ID, i), fmt.Sprintf("%s-u%d", ev.ID, i), snap.Seats[i].ID, snap.Seats[i+1].ID)
		b.Seats = append(b.Seats, hb.Seats...)
		b.Holds = append(b.Holds, hb.Holds...)
		b.Keys = append(b.Keys, hb.Keys...)
		b.Outbox = append(b.Outbox, hb.Outbox...)
	}
	b.Held = len(b.Seats)
	storeCommit(t, s, b)

	after := storeActivate(t, s, key)
	if len(after.Holds) != 200 || len(after.Idempotency) != 200 {
		t.Errorf("holds %d, keys %d, want 200 each", len(after.Holds), len(after.Idempotency))
	}
	for _, st := range after.Seats {
		if st.Status != actors.SeatHeld {
			t.Fatalf("seat %+v not held", st)
		}
	}
	got := storeOutbox(t, pool, key)
	if len(got) != 200 {
		t.Fatalf("outbox rows %d, want 200", len(got))
	}
	for i, m := range got {
		if want := fmt.Sprintf("seat.reserved:%s-h%d", ev.ID, 2*i); m != want {
			t.Fatalf("outbox row %d = %s, want %s", i, m, want)
		}
	}
}

func TestStoreDirectory(t *testing.T) {
	s, _ := storeNew(t)
	ctx := storeCtx(t)
	ev := storeFixtureEvent(t, s)
	keyA := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
	keyGA := actors.SectionKey{EventID: ev.ID, SectionID: "ga"}
	user, other := ev.ID+"-u", ev.ID+"-other"

	a := storeActivate(t, s, keyA)
	h1 := storeHoldBatch(a, a.Version, ev.ID+"-h1", user, "A-1", "A-2")
	storeCommit(t, s, h1)
	storeCommit(t, s, storeConfirmBatch(a, a.Version+1, h1.Holds[0], ev.ID+"-o1"))
	storeCommit(t, s, storeHoldBatch(a, a.Version+2, ev.ID+"-h2", user, "B-1"))
	storeCommit(t, s, storeHoldBatch(a, a.Version+3, ev.ID+"-h3", other, "B-2"))
	ga := storeActivate(t, s, keyGA)
	gh := storeHoldBatch(ga, ga.Version, ev.ID+"-gh", user)
	gh.Held, gh.Holds[0].Quantity = 4, 4
	storeCommit(t, s, gh)

	key, owner, err := s.LocateHold(ctx, ev.ID+"-h2")
	if err != nil || key != keyA || owner != user {
		t.Errorf("LocateHold = %v %q %v", key, owner, err)
	}
	key, owner, err = s.LocateOrder(ctx, ev.ID+"-o1")
	if err != nil || key != keyA || owner != user {
		t.Errorf("LocateOrder = %v %q %v", key, owner, err)
	}
	if _, _, err := s.LocateHold(ctx, ev.ID+"-missing"); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("LocateHold of a missing hold: %v", err)
	}
	if _, _, err := s.LocateOrder(ctx, ev.ID+"-missing"); !errors.Is(err, actors.ErrNotFound) {
		t.Errorf("LocateOrder of a missing order: %v", err)
	}

	cases := []struct {
		section, user string
		want          int
	}{
		{"ga", user, 3},  // order o1 (2) and hold h2 (1) in A; h1 is confirmed, not counted twice
		{"A", user, 4},   // the general-admission hold
		{"B", user, 7},   // a section that does not exist excludes nothing
		{"A", other, 0},  // h3 is in A
		{"ga", other, 1}, // h3
		{"ga", "nobody", 0},
	}
	for _, tc := range cases {

		got, err := s.TicketsElsewhere(ctx, ev.ID, tc.section, tc.user)
		if err != nil || got != tc.want {
			t.Errorf("TicketsElsewhere(%s, %s) = %d, %v; want %d", tc.section, tc.user, got, err, tc.want)
		}
	}
	// All of them, many times, at once: the counts share queries, each gets its own.
	var wg sync.WaitGroup
	for i := range 5 * len(cases) {
		tc := cases[i%len(cases)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := s.TicketsElsewhere(ctx, ev.ID, tc.section, tc.user); err != nil || got != tc.want {
				t.Errorf("concurrent TicketsElsewhere(%s, %s) = %d, %v; want %d", tc.section, tc.user, got, err, tc.want)
			}
		}()
	}
	wg.Wait()

	rec, ok, err := s.Idempotent(ctx, user, "key-"+ev.ID+"-h2")
	if err != nil || !ok || string(rec.Response) != "reply-"+ev.ID+"-h2" || rec.EventID != ev.ID || rec.SectionID != "A" {
		t.Errorf("Idempotent = %+v %v %v", rec, ok, err)
	}
	if _, ok, err := s.Idempotent(ctx, user, "never-used"); ok || err != nil {
		t.Errorf("Idempotent of an unknown key = %v %v", ok, err)
	}
	// Keys are per user.
	if _, ok, err := s.Idempotent(ctx, other, "key-"+ev.ID+"-h2"); ok || err != nil {
		t.Errorf("Idempotent of another user's key = %v %v", ok, err)
	}
}
