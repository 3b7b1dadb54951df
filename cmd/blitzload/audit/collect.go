package audit

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Reader reads state back through the public API.
type Reader interface {
	// SeatMap returns a section's map (GET …/seats).
	SeatMap(ctx context.Context, ref SectionRef) (SeatMap, error)
	// Order asks GET /api/v1/orders/{id} as userID. Answers other than 200 are data
	// (OrderRead.Status); the error is for failing to ask at all.
	Order(ctx context.Context, userID, orderID string) (OrderRead, error)
	// UserOrders returns GET /api/v1/me/orders as userID.
	UserOrders(ctx context.Context, userID string) ([]Order, error)
	// UserHolds returns GET /api/v1/me/holds as userID: the user's holds held now.
	UserHolds(ctx context.Context, userID string) ([]Hold, error)
}

// Collect reads back what the records need: the map of every section they touched,
// every order they know (as its owner), the orders of every user whose confirm had an
// unknown outcome, and the live holds of every user with a hold request answered 503 or
// not answered (for the phantom-hold rule). parallel bounds the concurrent reads
// (default 16).
func Collect(ctx context.Context, r Reader, recs []Record, parallel int) (Final, error) {
	if parallel <= 0 {
		parallel = 16
	}
	f := Final{At: time.Now(), SeatMaps: map[SectionRef]SeatMap{}, Orders: map[string]OrderRead{}, UserOrders: map[string][]Order{},
		UserHolds: map[string][]Hold{}}
	refs := map[SectionRef]bool{}
	owners := map[string]string{}
	unknownConfirm := map[string]bool{}
	unanswered := map[string]bool{}
	for _, rec := range recs {
		if unansweredHold(rec) {
			unanswered[rec.User] = true
		}
		if rec.Op == OpHold {
			refs[SectionRef{rec.EventID, rec.SectionID}] = true
		}
		if rec.Op == OpConfirm && rec.Outcome == OK && rec.OrderID != "" {
			owners[rec.OrderID] = rec.User
		}
		if rec.Op == OpConfirm && rec.Outcome == Unknown {
			unknownConfirm[rec.User] = true
		}
	}
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	spawn := func(fn func() error) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, ref := range sortedRefs(refs) {
		spawn(func() error {
			sm, err := r.SeatMap(ctx, ref)
			if err != nil {
				return fmt.Errorf("read seat map %s: %w", ref, err)
			}
			mu.Lock()
			f.SeatMaps[ref] = sm
			mu.Unlock()
			return nil
		})
	}
	for id, user := range owners {
		spawn(func() error {
			rd, err := r.Order(ctx, user, id)
			if err != nil {
				return fmt.Errorf("read order %s: %w", id, err)
			}
			mu.Lock()
			f.Orders[id] = rd
			mu.Unlock()
			return nil
		})
	}
	for user := range unknownConfirm {
		spawn(func() error {
			orders, err := r.UserOrders(ctx, user)
			if err != nil {
				// Left unread: the user's unknown confirms stay unsettled.
				return nil
			}
			mu.Lock()
			f.UserOrders[user] = orders
			mu.Unlock()
			return nil
		})
	}
	for user := range unanswered {
		spawn(func() error {
			holds, err := r.UserHolds(ctx, user)
			if err != nil {
				// Left unread: the phantom-hold rule cannot look at this user.
				return nil
			}
			mu.Lock()
			f.UserHolds[user] = holds
			mu.Unlock()
			return nil
		})
	}
	wg.Wait()
	return f, firstErr
}

func sortedRefs(refs map[SectionRef]bool) []SectionRef {
	out := make([]SectionRef, 0, len(refs))
	for r := range refs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
