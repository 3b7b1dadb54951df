package classic

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// TestRaceOneHoldPerSeat sends 5,000 fans at a 100-seat section at once, each
// claiming one random seat or a random adjacent pair, through a 20-connection pool.
// Afterwards every seat is held by at most one hold, the seats and holds tables agree
// with each other and with the fans' own records, and every loser was told
// SEAT_UNAVAILABLE or UNAVAILABLE.
func TestRaceOneHoldPerSeat(t *testing.T) {
	base := testPool(t)
	const (
		fans   = 5000
		rows   = 5
		perRow = 20
	)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cfg := base.Config().Copy()
	cfg.MaxConns = 20
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	forEachStrategy(t, pool, time.Minute, func(t *testing.T, s baseline) {
		f := newFixture(t, pool, 8, rows, perRow)

		type outcome struct {
			user  string
			hold  actors.Hold
			asked []string
			err   error
		}
		results := make([]outcome, fans)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range fans {
			row := string(rune('A' + rand.IntN(rows)))
			n := 1 + rand.IntN(perRow)
			asked := []string{actors.SeatID(row, n)}
			if rand.IntN(2) == 0 {
				if n == perRow {
					n--
				}
				asked = []string{actors.SeatID(row, n), actors.SeatID(row, n+1)}
			}
			results[i] = outcome{user: fmt.Sprintf("fan-%d", i), asked: asked}
			wg.Go(func() {
				<-start
				r := &results[i]
				r.hold, r.err = s.Hold(ctx, actors.HoldRequest{EventID: f.eventID, SectionID: "A", UserID: r.user, Seats: r.asked})
			})
		}
		close(start)
		wg.Wait()
		if ctx.Err() != nil {
			t.Fatalf("the race did not finish in time: %v", ctx.Err())
		}

		// The fans' records: winners, losers, and who was promised which seat.
		promised := map[string]string{} // seat -> hold
		winners := map[string]actors.Hold{}
		codes := map[actors.Code]int{}
		for _, r := range results {
			if r.err != nil {
				code := errCode(t, r.err)
				codes[code]++
				if code != actors.CodeSeatUnavailable && code != actors.CodeUnavailable {
					t.Errorf("%s asking for %v: %v", r.user, r.asked, r.err)
				}
				continue
			}
			if r.hold.UserID != r.user || !slices.Equal(r.hold.Seats, r.asked) || r.hold.Status != actors.HoldHeld {
				t.Errorf("%s asked for %v and got %+v", r.user, r.asked, r.hold)
			}
			winners[r.hold.ID] = r.hold
			for _, seat := range r.hold.Seats {
				if other, ok := promised[seat]; ok {
					t.Errorf("seat %s promised to holds %s and %s", seat, other, r.hold.ID)
				}
				promised[seat] = r.hold.ID
			}
		}
		t.Logf("%d winners holding %d seats; refusals %v", len(winners), len(promised), codes)
		if len(winners) == 0 || codes[actors.CodeSeatUnavailable] == 0 {
			t.Fatalf("want both winners and SEAT_UNAVAILABLE losers; got %d winners, refusals %v", len(winners), codes)
		}

		// The seats table.
		seatRows, err := pool.Query(ctx, `SELECT id, status, COALESCE(hold_id, '') FROM seats WHERE event_id = $1 AND section_id = 'A'`, f.eventID)
		if err != nil {
			t.Fatal(err)
		}
		heldSeats := map[string]string{}
		var id, status, holdID string
		if _, err := pgx.ForEachRow(seatRows, []any{&id, &status, &holdID}, func() error {
			switch status {
			case "held":
				heldSeats[id] = holdID
			case "available":
			default:
				return fmt.Errorf("seat %s is %s", id, status)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(heldSeats) != len(promised) {
			t.Errorf("%d seats held in the table, fans were promised %d", len(heldSeats), len(promised))
		}
		for seat, hold := range promised {
			if heldSeats[seat] != hold {
				t.Errorf("seat %s promised to %s is held by %q in the table", seat, hold, heldSeats[seat])
			}
		}

		// The holds table.
		holdRows, err := pool.Query(ctx, `SELECT `+persistence.HoldColumns+` FROM holds WHERE event_id = $1`, f.eventID)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := pgx.CollectRows(holdRows, func(row pgx.CollectableRow) (actors.Hold, error) { return persistence.ScanHold(row) })
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) != len(winners) {
			t.Errorf("%d holds stored, %d fans won", len(stored), len(winners))
		}
		for _, h := range stored {
			w, ok := winners[h.ID]
			if !ok || h.Status != actors.HoldHeld || !slices.Equal(h.Seats, w.Seats) || h.UserID != w.UserID {
				t.Errorf("stored hold %+v does not match a winner", h)
				continue
			}
			for _, seat := range h.Seats {
				if heldSeats[seat] != h.ID {
					t.Errorf("hold %s lists seat %s, which the seats table gives to %q", h.ID, seat, heldSeats[seat])
				}
			}
		}

		// The section row and the outbox agree too: one version and one SeatReserved per win.
		held, sold, version := sectionRow(t, pool, f.a)
		if held != len(promised) || sold != 0 || version != int64(len(winners)) {
			t.Errorf("section: held %d sold %d version %d; want %d, 0, %d", held, sold, version, len(promised), len(winners))
		}
		var reserved int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE key = $1 AND topic = $2`,
			f.a.Identity(), actors.TopicSeatReserved).Scan(&reserved); err != nil {
			t.Fatal(err)
		}
		if reserved != len(winners) {
			t.Errorf("%d SeatReserved envelopes for %d winners", reserved, len(winners))
		}
	})
}
