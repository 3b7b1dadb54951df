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

func (r *refusingReservations) Hold(context.Context, actors.HoldRequest) (actors.Hold, error) {
	return actors.Hold{}, r.err
}

// holdPathStackBudget is how many bytes of stack a whole POST …/holds may take beneath
// the server's handler (fiber's, beneath fasthttp's serving of the connection), the
// runtime's work beneath it included, with reservations that answer at once: the token
// check of a fan's first request, the hold handler, the decision's answer or refusal.
// A won hold took 4,272–4,656 bytes (5.9–6.3 KB built with -race) while its answer was
// encoded by encoding/json, 3,552–3,936 (4.9–5.3 KB) written by appendHoldBody; a
// refusal 3,552–3,888 (4.9–5.0 KB). Fitting the whole path, Client.Hold and the actor
// system beneath it included, in the 4 KB a connection goroutine's stack starts from
// after its first growth would take it under about 2.3 KB (BENCHMARKS.md, "The hold
// path inside a connection's stack").
func holdPathStackBudget() uintptr {
	if raceBuild {
		return 5568
	}
	return 4096
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
			use := leastStackUse(t, hold, 5)
			t.Logf("%s: %d bytes of stack beneath the handler (the least of 5)", tc.name, use)
			if budget := holdPathStackBudget(); use > budget {
				t.Errorf("%s: a hold takes %d bytes of stack beneath the handler, over the budget of %d", tc.name, use, budget)
			}
		})
	}
}
