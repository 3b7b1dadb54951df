package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
)

type samples struct {
	mu   sync.Mutex
	list []stats.Sample
}

func (s *samples) Observe(x stats.Sample) {
	s.mu.Lock()
	s.list = append(s.list, x)
	s.mu.Unlock()
}

// fakeServer answers like the contract: the first hold succeeds, the second is
// refused, confirms of h_slow hang, everything else is 404.
func fakeServer(t *testing.T) *httptest.Server {
	t.Helper()
	holds := 0
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/events/{ev}/holds", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-ann" || r.Header.Get("Idempotency-Key") != "k1" {
			t.Errorf("headers %v", r.Header)
		}
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), `"seats":["A-1","A-2"]`) {
			t.Errorf("body %s", body)
		}
		mu.Lock()
		holds++
		n := holds
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(201)
			io.WriteString(w, `{"id":"h_1","event_id":"ev1","section_id":"A","seats":["A-1","A-2"],"quantity":2,"status":"held","expires_at":"2030-01-01T00:00:00Z","user_id":"ann"}`)
			return
		}
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(409)
		io.WriteString(w, `{"error":{"code":"SEAT_UNAVAILABLE","message":"taken","details":{"seats":["A-1"]}}}`)
	})
	mux.HandleFunc("POST /api/v1/holds/{id}/confirm", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // lets the server notice the client hanging up
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	return httptest.NewServer(mux)
}

func TestClientRecordsAndObservesEveryCall(t *testing.T) {
	srv := fakeServer(t)
	defer srv.Close()
	obs := &samples{}
	log := &audit.Log{}
	c := New(Config{Base: srv.URL, HTTP: NewHTTPClient(1, 300*time.Millisecond), User: "ann", Token: "tok-ann", Observer: obs, Log: log})
	req := HoldRequest{SectionID: "A", Seats: []string{"A-1", "A-2"}}

	h, r := c.Hold(context.Background(), "ev1", req, "k1")
	if !r.OK() || h.ID != "h_1" || r.Outcome != audit.OK {
		t.Fatalf("first hold: %+v %+v", h, r)
	}
	_, r = c.Hold(context.Background(), "ev1", req, "k1")
	if r.Status != 409 || r.Code != CodeSeatUnavailable || r.Outcome != audit.Refused || r.RetryAfter != time.Second || r.Retryable() {
		t.Fatalf("second hold: %+v", r)
	}
	_, r = c.Confirm(context.Background(), "ev1", "A", "h_slow", PaymentOK, "k2")
	if r.Outcome != audit.Unknown || r.Err == nil || !r.Retryable() {
		t.Fatalf("timed-out confirm: %+v", r)
	}

	recs := log.Records()
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	if got := recs[0]; got.Op != audit.OpHold || got.User != "ann" || got.HoldID != "h_1" || got.IdempotencyKey != "k1" ||
		len(got.GotSeats) != 2 || got.ExpiresAt.IsZero() || got.Start.IsZero() || !got.End.After(got.Start) {
		t.Errorf("hold record %+v", got)
	}
	if got := recs[1]; got.Outcome != audit.Refused || got.Code != CodeSeatUnavailable || got.HoldID != "" {
		t.Errorf("refused record %+v", got)
	}
	if got := recs[2]; got.Op != audit.OpConfirm || got.Outcome != audit.Unknown || got.HoldID != "h_slow" || got.Error == "" {
		t.Errorf("unknown confirm record %+v", got)
	}
	if len(obs.list) != 3 {
		t.Fatalf("%d samples", len(obs.list))
	}
	if s := obs.list[0]; !s.DurableHold || !s.Decision || s.Error || s.Endpoint != EndpointHold {
		t.Errorf("sample of the 201: %+v", s)
	}
	if s := obs.list[1]; s.DurableHold || !s.Decision || s.Error {
		t.Errorf("sample of the refusal: %+v", s)
	}
	if s := obs.list[2]; s.Decision || !s.Error || s.Status != 0 {
		t.Errorf("sample of the timeout: %+v", s)
	}
}

func TestScheduledContextReachesTheSample(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status":"ok"}`) }))
	defer srv.Close()
	obs := &samples{}
	c := New(Config{Base: srv.URL, Observer: obs})
	at := time.Now().Add(-time.Second)
	c.Healthz(WithScheduled(context.Background(), at))
	c.Healthz(context.Background())
	if !obs.list[0].Scheduled.Equal(at) || obs.list[0].Latency() < time.Second {
		t.Errorf("scheduled sample %+v", obs.list[0])
	}
	if !obs.list[1].Scheduled.IsZero() {
		t.Errorf("unscheduled sample %+v", obs.list[1])
	}
}

func TestLocalTokensVerifyWithTheSecret(t *testing.T) {
	secret := []byte("test-secret")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tok, err := LocalTokens{Secret: secret, TTL: time.Hour, Now: func() time.Time { return now }}.Mint("ann", "admin")
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	exp, _ := claims.GetExpirationTime()
	if claims["sub"] != "ann" || claims["role"] != "admin" || !exp.Time.Equal(now.Add(time.Hour)) {
		t.Errorf("claims %v", claims)
	}
	if _, err := (LocalTokens{}).Token(context.Background(), "ann"); err == nil {
		t.Error("minted without a secret")
	}
}

func TestCachingTokensAsksOnce(t *testing.T) {
	n := 0
	c := &CachingTokens{Source: tokenFunc(func(user string) (string, error) { n++; return "t-" + user, nil })}
	for i := 0; i < 3; i++ {
		if tok, err := c.Token(context.Background(), "ann"); err != nil || tok != "t-ann" {
			t.Fatalf("token %q, %v", tok, err)
		}
	}
	if n != 1 {
		t.Errorf("source asked %d times", n)
	}
}

type tokenFunc func(string) (string, error)

func (f tokenFunc) Token(_ context.Context, user string) (string, error) { return f(user) }

func TestAPITokens(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/api/v1/auth/token" || !strings.Contains(string(body), `"user_id":"ann"`) {
			w.WriteHeader(404)
			return
		}
		io.WriteString(w, `{"token":"tok-ann","expires_at":"2030-01-01T00:00:00Z"}`)
	}))
	defer srv.Close()
	tok, err := APITokens{Base: srv.URL, HTTP: srv.Client()}.Token(context.Background(), "ann")
	if err != nil || tok != "tok-ann" {
		t.Errorf("token %q, %v", tok, err)
	}
}

func TestSubscribeWithoutWebSockets(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := Subscribe(context.Background(), srv.URL, "ev1", time.Second)
	if !errors.Is(err, ErrWebSocketsUnavailable) || !strings.Contains(err.Error(), "404") {
		t.Errorf("subscribe to a server without websockets: %v", err)
	}
}

func TestToAuditMap(t *testing.T) {
	reserved := ToAuditMap(SeatMap{SectionID: "A", Version: 3, Seats: []Seat{{ID: "A-1", Status: "sold"}, {ID: "A-2", Status: "available"}}}, time.Time{}, time.Time{})
	if reserved.Kind != audit.KindReserved || reserved.Seats["A-1"] != "sold" || len(reserved.Seats) != 2 || reserved.Version != 3 {
		t.Errorf("reserved %+v", reserved)
	}
	ga := ToAuditMap(SeatMap{SectionID: "floor", Capacity: 10, Available: 7, Held: 1, Sold: 2}, time.Time{}, time.Time{})
	if ga.Kind != audit.KindGeneralAdmission || ga.Capacity != 10 || ga.Sold != 2 {
		t.Errorf("general admission %+v", ga)
	}
}
