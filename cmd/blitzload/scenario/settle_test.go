package scenario

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

// lateServer decides every hold when it arrives, keyed by its idempotency key, but
// answers a key's first attempts only after the client's timeout (slow), and every
// later one at once from its decision, as the engine answers a repeated key. A key in
// refuse is answered 503 at once on the attempt it names.
type lateServer struct {
	mu       sync.Mutex
	attempts map[string]int
	slow     int
	refuse   map[string]int
	hang     chan struct{}
}

func (s *lateServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	s.attempts[key]++
	n := s.attempts[key]
	s.mu.Unlock()
	if s.refuse[key] == n {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":{"code":"UNAVAILABLE","message":"busy"}}`))
		return
	}
	if n <= s.slow {
		select {
		case <-s.hang:
		case <-r.Context().Done():
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"id": "h_" + key, "event_id": "ev_1", "section_id": "hot",
		"seats": []string{"A-1"}, "quantity": 1, "status": "held", "expires_at": time.Now().Add(time.Minute)})
}

// TestSettleHoldsAsksAgainForHoldsWhoseLastAttemptWentUnanswered: a hold never answered,
// and one answered 503 and then not at all, are asked again after the sale (the silent
// attempt may have been decided after the 503, which was true when given); one not
// answered and then answered 503 is not: that 503 says nothing was decided for the key,
// and the audit judges the fan by it.
func TestSettleHoldsAsksAgainForHoldsWhoseLastAttemptWentUnanswered(t *testing.T) {
	srv := &lateServer{attempts: map[string]int{}, slow: 2, refuse: map[string]int{}, hang: make(chan struct{})}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer close(srv.hang)
	log := &audit.Log{}
	newFan := func(i int) *fan {
		return &fan{idx: i, user: "u", runID: "r", rng: rng(1, uint64(i)+1),
			client: api.New(api.Config{Base: ts.URL, HTTP: api.NewHTTPClient(1, 100*time.Millisecond), User: "u", Token: "t", Log: log})}
	}
	silent, refusedFirst, refusedLast := newFan(0), newFan(1), newFan(2)
	srv.refuse["r-1-h1"], srv.refuse["r-2-h1"] = 1, 2
	defer closeFans([]*fan{silent, refusedFirst, refusedLast})
	ctx := t.Context()
	req := api.HoldRequest{SectionID: "hot", Quantity: 1}

	// Two attempts: both outlast the client's timeout, so the fan learns nothing.
	if _, r := silent.hold(ctx, "ev_1", req, 1); r.Status != 0 {
		t.Fatalf("the silent fan's hold was answered %d; want no answer", r.Status)
	}
	// The first attempt is answered 503, the second not at all.
	if _, r := refusedFirst.hold(ctx, "ev_1", req, 1); r.Status != 0 {
		t.Fatalf("the refused-first fan's last attempt was answered %d; want no answer", r.Status)
	}
	// The first attempt is not answered, the second is answered 503.
	if _, r := refusedLast.hold(ctx, "ev_1", req, 1); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("the refused-last fan's last attempt was answered %d; want 503", r.Status)
	}
	if len(silent.unsettled) != 1 || len(refusedFirst.unsettled) != 1 || len(refusedLast.unsettled) != 0 {
		t.Fatalf("unsettled holds: silent %d, refused first %d, refused last %d; want 1, 1 and 0",
			len(silent.unsettled), len(refusedFirst.unsettled), len(refusedLast.unsettled))
	}

	got := settleHolds(ctx, []*fan{silent, refusedFirst, refusedLast})
	if got != (settleTally{asked: 2, held: 2}) {
		t.Fatalf("settleHolds = %+v; want two holds asked and held", got)
	}
	settled := map[string]string{}
	for _, r := range log.Records() {
		if r.Status == http.StatusCreated {
			settled[r.IdempotencyKey] = r.HoldID
		}
	}
	want := map[string]string{"r-0-h1": "h_r-0-h1", "r-1-h1": "h_r-1-h1"}
	if len(settled) != len(want) || settled["r-0-h1"] != want["r-0-h1"] || settled["r-1-h1"] != want["r-1-h1"] {
		t.Fatalf("records answered 201: %v; want %v", settled, want)
	}
	if srv.attempts["r-2-h1"] != 2 {
		t.Fatalf("the refused-last fan's hold was sent %d times; want 2 (not settled)", srv.attempts["r-2-h1"])
	}
}
