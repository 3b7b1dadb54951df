package http

import (
	"context"
	"testing"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/ticketblitz/ticketblitz/actors"
)

// stackAddr is an address in its own frame, just beneath its caller's: the difference
// of two calls on one goroutine is the stack between them, while the stack is not
// moved in between.
//
//go:noinline
func stackAddr() uintptr {
	var b byte
	return uintptr(unsafe.Pointer(&b))
}

// depthReservations notes how deep in the request's stack Hold is called.
type depthReservations struct {
	decidedReservations
	at uintptr
}

func (d *depthReservations) Hold(ctx context.Context, r actors.HoldRequest) (actors.Hold, error) {
	d.at = stackAddr()
	return d.decidedReservations.Hold(ctx, r)
}

// holdHandlerStackBudget is how many bytes of its connection goroutine's stack a hold
// may use from the server's handler to Reservations.Hold, beneath which the hold's
// deepest part runs (Client.Hold and the actor system, the allocator beneath them). A
// request that outgrows its goroutine's stack copies it to one twice the size, and the
// collector halves it again once the connection is idle. Before the middlewares' and
// createHold's rare paths were moved out of their frames this took 3.5 KB (4.6 KB built
// with -race, whose instrumentation makes frames larger); 2.4 KB (3.4 KB) after.
func holdHandlerStackBudget() uintptr {
	if raceBuild {
		return 3840
	}
	return 2816
}

// TestHoldHandlerStackDepth measures the stack a POST …/holds takes from the server's
// handler (fasthttp's call into fiber) to Reservations.Hold: routing, the request id,
// metrics, the token, the rate limit and the hold handler, each frame on the stack
// while the hold is decided.
func TestHoldHandlerStackDepth(t *testing.T) {
	res := &depthReservations{}
	srv := hotPathServer(t, res)
	tok, _, err := IssueToken(testSecret, "fan1", "", time.Hour, testNow)
	if err != nil {
		t.Fatal(err)
	}
	handler := srv.App().Handler()
	depth := ^uintptr(0)
	for i := range 3 { // the first request grows the stack; the stack must not move while measured
		var rc fasthttp.RequestCtx
		rc.Request.Header.SetMethod(fasthttp.MethodPost)
		rc.Request.SetRequestURI("/api/v1/events/ev_1/holds")
		rc.Request.Header.SetContentType("application/json")
		rc.Request.Header.Set(fasthttp.HeaderAuthorization, "Bearer "+tok)
		rc.Request.SetBody([]byte(`{"section_id":"hot","seats":["A-1","A-2"]}`))
		res.at = 0
		top := stackAddr()
		handler(&rc)
		if got := rc.Response.StatusCode(); got != fasthttp.StatusCreated {
			t.Fatalf("status %d: %s", got, rc.Response.Body())
		}
		if i > 0 && res.at != 0 && res.at < top {
			depth = min(depth, top-res.at)
		}
	}
	t.Logf("handler to Reservations.Hold: %d bytes of stack", depth)
	if budget := holdHandlerStackBudget(); depth > budget {
		t.Errorf("a hold takes %d bytes of stack from the handler to Reservations.Hold, over the budget of %d", depth, budget)
	}
}
