package persistence

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// BenchmarkStoreCommit measures group commits of one hot 2,000-seat section: each
// iteration writes one batch of 256 decisions (alternately 256 one-seat holds, each with
// an idempotency key and a SeatReserved envelope, and their 256 releases), plus the
// batch's SectionChanged delta, in one fenced transaction.
//
//	go test ./persistence -run '^$' -bench StoreCommit -benchtime 200x
func BenchmarkStoreCommit(b *testing.B) { benchmarkStoreCommit(b, false) }

// BenchmarkStoreCommitSharedLimit is BenchmarkStoreCommit in an event of two sections:
// every batch also moves, locks and checks the per-user counts of its 256 users.
func BenchmarkStoreCommitSharedLimit(b *testing.B) { benchmarkStoreCommit(b, true) }

func benchmarkStoreCommit(b *testing.B, sharedLimit bool) {
	pool := testPool(b)
	s := NewStore(pool, zap.NewNop())
	ctx := context.Background()
	rows := make([]actors.RowSpec, 40)
	for i := range rows {
		rows[i] = actors.RowSpec{Label: actors.RowLabel(i), Seats: 50}
	}
	sections := []actors.Section{{ID: "hot", Name: "Hot", Kind: actors.KindReserved, PriceCents: 100, Rows: rows}}
	if sharedLimit {
		sections = append(sections, actors.Section{ID: "cold", Name: "Cold", Kind: actors.KindGeneralAdmission, PriceCents: 100, Capacity: 10})
	}
	ev, err := s.CreateEvent(ctx, actors.Event{ID: fmt.Sprintf("bench%d", time.Now().UnixNano()), Name: "Bench", Venue: "Hall",
		Currency: "USD", StartsAt: time.Now().Add(time.Hour), Sections: sections})
	if err != nil {
		b.Fatal(err)
	}
	key := actors.SectionKey{EventID: ev.ID, SectionID: "hot"}
	snap, err := s.Activate(ctx, key, testOwner, storeKeyWindow)
	if err != nil {
		b.Fatal(err)
	}
	const perBatch = 256
	version := snap.Version
	var held []actors.Hold
	now := time.Now().UTC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch := &actors.Batch{Key: key, Epoch: snap.Epoch, Version: version}
		if held == nil {
			for j := 0; j < perBatch; j++ {
				seat := snap.Seats[(i/2*perBatch+j)%len(snap.Seats)].ID
				h := actors.Hold{ID: actors.NewID("h_"), EventID: key.EventID, SectionID: key.SectionID,
					UserID: fmt.Sprintf("u%d", j), Seats: []string{seat}, Quantity: 1, Status: actors.HoldHeld,
					ExpiresAt: now.Add(10 * time.Minute), CreatedAt: now, UpdatedAt: now}
				held = append(held, h)
				batch.Seats = append(batch.Seats, actors.SeatChange{ID: seat, Status: actors.SeatHeld, HoldID: h.ID})
				batch.Holds = append(batch.Holds, h)
				reply := actors.EncodeReply(actors.HoldReply(h))
				batch.Keys = append(batch.Keys, actors.IdempotencyRecord{UserID: h.UserID, Key: actors.NewID("auto_"),
					EventID: key.EventID, SectionID: key.SectionID, RequestHash: make([]byte, 32), Response: reply})
				msg, _ := actors.NewOutboxMessage(actors.NewID(""), actors.TypeSeatReserved, now, key,
					actors.SeatReserved{HoldID: h.ID, UserID: h.UserID, Seats: h.Seats, Quantity: 1, ExpiresAt: h.ExpiresAt, SectionVersion: version + 1})
				batch.Outbox = append(batch.Outbox, msg)
			}
			batch.Held = perBatch
			if sharedLimit {
				batch.UserTickets, batch.MaxTicketsPerUser = benchUserTickets(perBatch, +1), 8
			}
		} else {
			for _, h := range held {
				batch.Seats = append(batch.Seats, actors.SeatChange{ID: h.Seats[0], Status: actors.SeatAvailable})
				h.Status = actors.HoldReleased
				batch.Holds = append(batch.Holds, h)
				msg, _ := actors.NewOutboxMessage(actors.NewID(""), actors.TypeSeatReleased, now, key,
					actors.SeatReleased{HoldID: h.ID, UserID: h.UserID, Seats: h.Seats, Quantity: 1, Reason: actors.ReasonReleased, SectionVersion: version + 1})
				batch.Outbox = append(batch.Outbox, msg)
			}
			held = nil
			if sharedLimit {
				batch.UserTickets, batch.MaxTicketsPerUser = benchUserTickets(perBatch, -1), 8
			}
		}
		msg, _ := actors.NewOutboxMessage(actors.NewID(""), actors.TypeSectionChanged, now, key, actors.SectionChanged{Version: version + 1})
		batch.Outbox = append(batch.Outbox, msg)
		if err := s.Commit(ctx, batch); err != nil {
			b.Fatal(err)
		}
		version++
	}
	b.ReportMetric(float64(perBatch*b.N)/b.Elapsed().Seconds(), "decisions/s")
}

// benchUserTickets is one change of delta for each of the users u0 … u(n-1), sorted.
func benchUserTickets(n, delta int) []actors.UserTicketChange {
	out := make([]actors.UserTicketChange, n)
	for j := range n {
		out[j] = actors.UserTicketChange{UserID: fmt.Sprintf("u%d", j), Delta: delta}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}
