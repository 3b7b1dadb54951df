package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestClientRace runs a node in this process and has 5,000 goroutines claim random
// seats of a 100-seat section through its reservations (actors.Client, or the classic
// strategy), with each strategy: every seat is held at most once, and the held count in
// the store equals the seats the winners were given.
func TestClientRace(t *testing.T) {
	for _, strategy := range strategies {
		t.Run(strategy, func(t *testing.T) { clientRace(t, strategy) })
	}
}

func clientRace(t *testing.T, strategy string) {
	testenv.Require(t, testenv.Both())
	db := fmt.Sprintf("tb_e2e_%d_%d", os.Getpid(), dbCounter.Add(1))
	t.Cleanup(func() { dropTestDB(db) })
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	env := map[string]string{
		"TICKETBLITZ_HTTP_ADDR":      "127.0.0.1:0",
		"TICKETBLITZ_CLUSTER_BIND":   "127.0.0.1:0",
		"TICKETBLITZ_POSTGRES_URL":   "postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable",
		"TICKETBLITZ_SEED_DEMO":      "false",
		"TICKETBLITZ_POSTGRES_POOL":  "12",
		"TICKETBLITZ_NODE_NAME":      "race-" + db,
		"TICKETBLITZ_SHUTDOWN_GRACE": "20s",
		"TICKETBLITZ_STRATEGY":       strategy,
	}
	cfg, err := parseConfig(fs, nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log, _ := newLogger("warn", "console", &lockedWriter{w: &logs})
	ctx := context.Background()
	srv, err := start(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	var rows []actors.RowSpec
	for _, l := range []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"} {
		rows = append(rows, actors.RowSpec{Label: l, Seats: 10})
	}
	ev, err := srv.store.CreateEvent(ctx, actors.Event{Name: "Race", Venue: "Box", StartsAt: time.Now().Add(time.Hour), Currency: "USD",
		Sections: []actors.Section{{ID: "hot", Name: "Hot", Kind: actors.KindReserved, PriceCents: 100, Rows: rows}}})
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	owner := map[string]string{}
	refused := 0
	var wg sync.WaitGroup
	startGun := make(chan struct{})
	for i := range raceFans {
		rng := rand.New(rand.NewPCG(uint64(i), 11))
		row := string(rune('A' + rng.IntN(10)))
		n := 1 + rng.IntN(9)
		seats := []string{actors.SeatID(row, n)}
		if rng.IntN(2) == 0 {
			seats = append(seats, actors.SeatID(row, n+1))
		}
		user := fmt.Sprintf("fan%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startGun
			h, err := srv.reservations.Hold(ctx, actors.HoldRequest{EventID: ev.ID, SectionID: "hot", UserID: user, Seats: seats})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if !errors.Is(err, actors.ErrSeatUnavailable) {
					t.Errorf("%s: %v", user, err)
				}
				refused++
				return
			}
			for _, s := range h.Seats {
				if prev, ok := owner[s]; ok {
					t.Errorf("seat %s held by %s and %s", s, prev, user)
				}
				owner[s] = user
			}
		}()
	}
	close(startGun)
	wg.Wait()
	m, err := srv.store.SeatMap(ctx, ev.ID, "hot")
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, s := range m.Seats {
		if s.Status == actors.SeatHeld {
			held++
			if _, ok := owner[s.ID]; !ok {
				t.Errorf("seat %s held in the store but given to nobody", s.ID)
			}
		}
	}
	if held != len(owner) {
		t.Fatalf("store holds %d seats, winners were given %d", held, len(owner))
	}
	if held < 60 {
		t.Fatalf("only %d of 100 seats were won by 5,000 fans", held)
	}
	t.Logf("%d seats won, %d refusals", held, refused)
}

// lockedWriter serializes writes from the logger's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
