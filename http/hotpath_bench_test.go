package http

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// decidedReservations answers every hold at once, won or sold out, so that a benchmark
// measures only what the HTTP layer spends on a decision.
type decidedReservations struct {
	fakeReservations
	soldOut bool
}

func (d *decidedReservations) Hold(_ context.Context, r actors.HoldRequest) (actors.Hold, error) {
	if d.soldOut {
		return actors.Hold{}, actors.ErrSoldOut
	}
	return actors.Hold{ID: "hld_1", EventID: r.EventID, SectionID: r.SectionID, UserID: r.UserID,
		Seats: r.Seats, Quantity: len(r.Seats), Status: actors.HoldHeld,
		ExpiresAt: testNow.Add(5 * time.Minute), CreatedAt: testNow}, nil
}

// allowAll is a rate limiter that lets everything through at once.
type allowAll struct{}

func (allowAll) Allow(context.Context, string) (bool, time.Duration, error) { return true, 0, nil }

// BenchmarkHTTPHold is the HTTP layer's share of one decision: a fan's POST …/holds
// through routing, request id, token, rate limit, body decoding and the JSON answer,
// with reservations and the limiter answering at once. "repeat" reuses 1,000 fans'
// tokens (a fan's second and later requests), "first" gives every request a token not
// seen before. Its cpu-ns/op and allocs/op are the regression figures:
//
//	go test ./http -run '^$' -bench HTTPHold -benchmem
func BenchmarkHTTPHold(b *testing.B) {
	for _, outcome := range []string{"won", "sold_out"} {
		for _, tokens := range []string{"repeat", "first"} {
			b.Run(outcome+"/"+tokens, func(b *testing.B) { benchHTTPHold(b, outcome == "sold_out", tokens == "first") })
		}
	}
}

// hotPathServer is a server whose holds res decides, with a limiter that lets
// everything through and nothing logged.
func hotPathServer(t testing.TB, res Reservations) *Server {
	t.Helper()
	srv, err := New(Config{
		Reservations: res,
		Catalog:      newFakeCatalog(),
		RateLimiter:  allowAll{},
		JWTSecret:    testSecret,
		Registry:     prometheus.NewRegistry(),
		Logger:       zap.NewNop(),
		Clock:        func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func benchHTTPHold(b *testing.B, soldOut, fresh bool) {
	srv := hotPathServer(b, &decidedReservations{soldOut: soldOut})
	n := 1000
	if fresh {
		n = b.N
	}
	tokens := make([]string, n)
	for i := range tokens {
		tok, _, err := IssueToken(testSecret, fmt.Sprintf("fan%d", i), "", time.Hour, testNow)
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = "Bearer " + tok
	}
	handler := srv.App().Handler()
	body := []byte(`{"section_id":"hot","seats":["A-1","A-2"]}`)
	want := fasthttp.StatusCreated
	if soldOut {
		want = fasthttp.StatusConflict
	}
	var rc fasthttp.RequestCtx
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := testenv.ProcessCPU()
	for i := range b.N {
		rc.Request.Reset()
		rc.Response.Reset()
		rc.Request.Header.SetMethod(fasthttp.MethodPost)
		rc.Request.SetRequestURI("/api/v1/events/ev_1/holds")
		rc.Request.Header.SetContentType("application/json")
		rc.Request.Header.Set(fasthttp.HeaderAuthorization, tokens[i%n])
		rc.Request.SetBody(body)
		handler(&rc)
		if got := rc.Response.StatusCode(); got != want {
			b.Fatalf("status %d, want %d: %s", got, want, rc.Response.Body())
		}
	}
	b.ReportMetric(float64((testenv.ProcessCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// holdBodies are the bodies a rush sends: explicit seats, and a quantity.
var holdBodies = map[string][]byte{
	"seats":    []byte(`{"section_id":"hot","seats":["A-1","A-2"]}`),
	"quantity": []byte(`{"section_id":"floor","quantity":2}`),
}

// BenchmarkDecodeHoldRequest is the decoding and validation of a hold's body, read
// directly from its bytes (encoding/json only for bodies of another shape).
func BenchmarkDecodeHoldRequest(b *testing.B) {
	d, err := newDecoder()
	if err != nil {
		b.Fatal(err)
	}
	for name, body := range holdBodies {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := d.decodeHoldRequest(body, "ev_1", "fan1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecodeHoldRequestAllocations: a plain hold body costs only the values it holds
// (the section id, the seat list and its ids, or the quantity), no decoder state.
func TestDecodeHoldRequestAllocations(t *testing.T) {
	d, err := newDecoder()
	if err != nil {
		t.Fatal(err)
	}
	for name, most := range map[string]float64{"seats": 4, "quantity": 2} {
		got := testing.AllocsPerRun(200, func() {
			if _, err := d.decodeHoldRequest(holdBodies[name], "ev_1", "fan1"); err != nil {
				t.Fatal(err)
			}
		})
		if got > most {
			t.Errorf("%s: %v allocations, want at most %v", name, got, most)
		}
	}
}
