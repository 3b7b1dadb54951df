package http

import (
	"context"
	"fmt"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/ticketblitz/ticketblitz/actors"
)

// refusingReservations refuses every hold with err, as the engine refuses most of a
// rush's holds.
type refusingReservations struct {
	fakeReservations
	err error
}

func (r *refusingReservations) Hold(context.Context, *actors.HoldRequest) (*actors.Hold, error) {
	return nil, r.err
}

// holdPathStackBudget is how many bytes of stack a whole POST …/holds may take beneath
// the server's handler (fiber's, beneath fasthttp's serving of the connection), the
// runtime's work beneath it included, with reservations that answer at once: the token
// check of a fan's first request, the hold handler, the decision's answer or refusal.
// It took 4,272 bytes for a hold and 3,552 for a refusal (6.3 KB built with -race)
// while the hold request and the hold were passed by value through Reservations, a hold
// was answered by encoding/json and a refusal from handleError's 1.2 KB frame; 2.6–2.9 KB
// (4.0–4.1 KB) after, the token's HMAC the deepest point.
func holdPathStackBudget() uintptr {
	if raceBuild {
		return 4480
	}
	return 3072
}

// TestHoldPathStackUse measures the stack a whole POST …/holds takes beneath the
// server's handler, a new token's check included, for a hold and for the refusals most
// of a rush's answers are, and holds it under holdPathStackBudget.
func TestHoldPathStackUse(t *testing.T) {
	cases := []struct {
		name string
		res  Reservations
		want int
	}{
		{"held", &decidedReservations{}, fasthttp.StatusCreated},
		{"sold_out", &refusingReservations{err: actors.ErrSoldOut}, fasthttp.StatusConflict},
		{"seat_taken", &refusingReservations{err: actors.SeatsUnavailable([]string{"A-1"})}, fasthttp.StatusConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := hotPathServer(t, tc.res)
			handler := srv.App().Handler()
			next := freshTokens(t, 5000)
			hold := func() {
				rc := newHoldCtx(next())
				handler(rc)
				if got := rc.Response.StatusCode(); got != tc.want {
					panic(fmt.Sprintf("status %d: %s", got, rc.Response.Body()))
				}
			}
			for range 3 {
				hold()
			}
			use := stackUse(t, hold)
			t.Logf("%s: %d bytes of stack beneath the handler", tc.name, use)
			if budget := holdPathStackBudget(); use > budget {
				t.Errorf("%s: a hold takes %d bytes of stack beneath the handler, over the budget of %d", tc.name, use, budget)
			}
		})
	}
}
