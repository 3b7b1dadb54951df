package main

import (
	"fmt"
	"math/rand/v2"
	nethttp "net/http"
	"sync"
	"testing"
	"time"

	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// raceFans is how many fans rush the 100-seat section at once.
const raceFans = 5000

// raceEvent creates an event with one 100-seat reserved section (10 rows of 10).
func raceEvent(t *testing.T, admin *api) string {
	t.Helper()
	rows := []any{}
	for _, l := range []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"} {
		rows = append(rows, map[string]any{"label": l, "seats": 10})
	}
	r := admin.do("POST", "/api/v1/events", map[string]any{
		"name": "Race", "venue": "Box", "starts_at": "2027-02-01T20:00:00Z", "currency": "USD",
		"sections": []any{map[string]any{"id": "hot", "name": "Hot", "kind": "reserved", "price_cents": 100, "rows": rows}},
	})
	want(t, r, 201, "")
	return r.str("id")
}

// TestHTTPRace has 5,000 fans, each with its own token, claim one or two random seats of
// a 100-seat section through HTTP at once, with each strategy. Afterwards no seat was
// given to two fans, and the seat map holds exactly the winners' seats.
func TestHTTPRace(t *testing.T) {
	for _, strategy := range strategies {
		t.Run(strategy, func(t *testing.T) {
			s := startServer(t, "TICKETBLITZ_STRATEGY="+strategy, "TICKETBLITZ_RATE_LIMIT=100000/min")
			eventID := raceEvent(t, s.as("root", "admin"))
			transport := &nethttp.Transport{MaxConnsPerHost: 128, MaxIdleConnsPerHost: 128}
			defer transport.CloseIdleConnections()
			client := &nethttp.Client{Transport: transport, Timeout: 60 * time.Second}

			type result struct {
				user   string
				status int
				code   string
				seats  []string
			}
			results := make([]result, raceFans)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range raceFans {
				user := fmt.Sprintf("fan%d", i)
				tok, _, err := tbhttp.IssueToken([]byte(devJWTSecret), user, "fan", time.Hour, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				row := string(rune('A' + rng.IntN(10)))
				n := 1 + rng.IntN(9)
				seats := []string{fmt.Sprintf("%s-%d", row, n)}
				if rng.IntN(2) == 0 {
					seats = append(seats, fmt.Sprintf("%s-%d", row, n+1))
				}
				a := &api{t: t, base: s.URL, token: tok, c: client}
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r := a.do("POST", "/api/v1/events/"+eventID+"/holds", map[string]any{"section_id": "hot", "seats": seats})
					res := result{user: user, status: r.Status, code: r.code()}
					if r.Status == 201 {
						for _, s := range r.Body["seats"].([]any) {
							res.seats = append(res.seats, s.(string))
						}
					}
					results[i] = res
				}()
			}
			close(start)
			wg.Wait()

			owner := map[string]string{}
			codes := map[string]int{}
			won := 0
			for _, r := range results {
				switch {
				case r.status == 201:
					won++
					for _, seat := range r.seats {
						if prev, ok := owner[seat]; ok {
							t.Fatalf("seat %s given to %s and %s", seat, prev, r.user)
						}
						owner[seat] = r.user
					}
				case r.status == 409 && r.code == "SEAT_UNAVAILABLE", r.status == 503 && r.code == "UNAVAILABLE":
					codes[r.code]++
				default:
					t.Fatalf("%s got %d %s", r.user, r.status, r.code)
				}
			}
			m := s.as("auditor", "fan").do("GET", "/api/v1/events/"+eventID+"/sections/hot/seats", nil)
			held := 0
			for _, x := range m.Body["seats"].([]any) {
				seat := x.(map[string]any)
				_, claimed := owner[seat["id"].(string)]
				switch seat["status"] {
				case "held":
					held++
					if !claimed {
						t.Fatalf("seat %s is held but no fan was told so", seat["id"])
					}
				case "available":
					if claimed {
						t.Fatalf("seat %s was promised to %s but is available", seat["id"], owner[seat["id"].(string)])
					}
				default:
					t.Fatalf("seat %s is %s", seat["id"], seat["status"])
				}
			}
			if held != len(owner) {
				t.Fatalf("held seats %d != seats won %d", held, len(owner))
			}
			t.Logf("%s: %d fans won %d seats; refusals %v", strategy, won, held, codes)
			if won == 0 {
				t.Fatal("nobody won a seat")
			}
		})
	}
}
