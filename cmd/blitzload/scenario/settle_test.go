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
// later one at once from its decision, as the engine answers a repeated key. Keys in
// refuse are answered 503 at once on their first attempt.
type lateServer struct {
	mu       sync.Mutex
	attempts map[string]int
	slow     int
	refuse   map[string]bool
	hang     chan struct{}
}

func (s *lateServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	s.attempts[key]++
	n := s.attempts[key]
	s.mu.Unlock()
	if s.refuse[key] && n == 1 {
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

func TestSettleHoldsAsksAgainOnlyForHoldsNeverAnswered(t *testing.T) {
	srv := &lateServer{attempts: map[string]int{}, slow: 2, refuse: map[string]bool{}, hang: make(chan struct{})}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer close(srv.hang)
	log := &audit.Log{}
	newFan := func(i int) *fan {
		return &fan{idx: i, user: "u", runID: "r", rng: rng(1, uint64(i)+1),
			client: api.New(api.Config{Base: ts.URL, HTTP: api.NewHTTPClient(1, 100*time.Millisecond), User: "u", Token: "t", Log: log})}
	}
	silent, refused := newFan(0), newFan(1)
	srv.refuse["r-1-h1"] = true
	defer closeFans([]*fan{silent, refused})
	ctx := t.Context()
	req := api.HoldRequest{SectionID: "hot", Quantity: 1}

	// Two attempts: both outlast the client's timeout, so the fan learns nothing.
	if _, r := silent.hold(ctx, "ev_1", req, 1); r.Status != 0 {
		t.Fatalf("the silent fan's hold was answered %d; want no answer", r.Status)
	}
	// The first attempt is answered 503, the second not at all: answered once.
	if _, r := refused.hold(ctx, "ev_1", req, 1); r.Status != 0 {
		t.Fatalf("the refused fan's last attempt was answered %d; want no answer", r.Status)
	}
	if len(silent.unsettled) != 1 || len(refused.unsettled) != 0 {
		t.Fatalf("unsettled holds: silent %d, refused %d; want 1 and 0", len(silent.unsettled), len(refused.unsettled))
	}

	got := settleHolds(ctx, []*fan{silent, refused})
	if got != (settleTally{asked: 1, held: 1}) {
		t.Fatalf("settleHolds = %+v; want one hold asked and held", got)
	}
	var settled []audit.Record
	for _, r := range log.Records() {
		if r.Status == http.StatusCreated {
			settled = append(settled, r)
		}
	}
	if len(settled) != 1 || settled[0].IdempotencyKey != "r-0-h1" || settled[0].HoldID != "h_r-0-h1" {
		t.Fatalf("records answered 201: %+v; want the silent fan's hold under its own key", settled)
	}
	if srv.attempts["r-1-h1"] != 2 {
		t.Fatalf("the refused fan's hold was sent %d times; want 2 (not settled)", srv.attempts["r-1-h1"])
	}
}
