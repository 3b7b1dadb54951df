package http

import (
	"context"
	"fmt"
	"runtime/debug"
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

// padFrameBytes is the size of padStack's locals per level.
const padFrameBytes = 8

// padStack takes n frames of its own, each with padFrameBytes of locals, and then
// calls f beneath them.
//
//go:noinline
func padStack(n int, f func()) {
	var b [padFrameBytes]byte
	b[n%padFrameBytes] = 1
	if n == 0 {
		f()
	} else {
		padStack(n-1, f)
	}
	if b[n%padFrameBytes] != 1 {
		panic("padStack: its frame changed")
	}
}

// padFrame is how many bytes one level of padStack takes.
func padFrame() uintptr {
	var top, below uintptr
	padStack(1, func() { below = stackAddr() })
	padStack(0, func() { top = stackAddr() })
	return top - below
}

// growStack makes its goroutine's stack 16 KB from the start, deeper than any request
// goes, so that f runs beneath padStack's levels on a stack of a size known not to
// change with the size new goroutines start with.
//
//go:noinline
func growStack(i int) byte {
	var b [12 << 10]byte
	b[i%len(b)] = 1
	return b[(i*7)%len(b)]
}

// growsStack reports whether a new goroutine that runs f beneath n levels of padStack
// outgrows its stack (grown to 16 KB first): its stack is then copied, and an address in its
// first frame changes.
func growsStack(n int, f func()) bool {
	moved := make(chan bool)
	go func() {
		growStack(1)
		before := stackAddr()
		padStack(n, f)
		moved <- stackAddr() != before
	}()
	return <-moved
}

// stackUse measures how many bytes of stack f takes at its deepest, the runtime's work
// beneath it included (the allocator, a map's growth, a sync.Pool's New): the fewest
// levels of padStack that make a new goroutine's stack grow, less the fewest that do
// with f beneath them, in padFrame's bytes (to one level's precision). f runs in new
// goroutines, with the collector off, which could shrink a stack or change the size
// new goroutines start with while measured.
func stackUse(t *testing.T, f func()) uintptr {
	t.Helper()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	levels := func(f func()) int {
		for n := 0; n < 1<<12; n++ {
			if growsStack(n, f) {
				return n
			}
		}
		t.Fatal("no goroutine's stack grew")
		return 0
	}
	empty := levels(func() {})
	with := levels(f)
	if with > empty {
		t.Fatalf("padding alone grew the stack at %d levels, with f beneath at %d", empty, with)
	}
	return uintptr(empty-with) * padFrame()
}

// leastStackUse is the least of runs measures of stackUse: now and then the runtime's
// own slow paths beneath f (its allocator taking a new span, say) go a level deeper
// than f's code does, and a budget for f's depth is met or not by f's code. Without it
// a new token's check measured 1,872 bytes in about one run of four, 1,728 otherwise.
func leastStackUse(t *testing.T, f func(), runs int) uintptr {
	t.Helper()
	least := stackUse(t, f)
	for range runs - 1 {
		least = min(least, stackUse(t, f))
	}
	return least
}

// tokenCheckStackBudget is how many bytes of stack the check of a token not seen before
// may take beneath identify, the runtime's work beneath it included: identify, the
// token's parsing and its HMAC, a connection goroutine's deepest point in a rush, where
// every fan's first request checks its token. It takes 1,728 bytes (2,304–2,400 built with
// -race). Checking the signature from a small frame took it to 1,392 (1,920), but the
// stack's growth only moved to the hold handler's reading of the request, beneath
// createHold's 832-byte frame, and was dropped: a whole hold takes 4.3 KB beneath the
// handler here, and fasthttp's frames above it about 0.9 KB.
func tokenCheckStackBudget() uintptr {
	if raceBuild {
		return 2496
	}
	return 1792
}

// newHoldCtx returns a POST …/holds with the bearer token tok, for app.
func newHoldCtx(tok string) *fasthttp.RequestCtx {
	rc := new(fasthttp.RequestCtx)
	rc.Request.Header.SetMethod(fasthttp.MethodPost)
	rc.Request.SetRequestURI("/api/v1/events/ev_1/holds")
	rc.Request.Header.SetContentType("application/json")
	rc.Request.Header.Set(fasthttp.HeaderAuthorization, "Bearer "+tok)
	rc.Request.SetBody([]byte(`{"section_id":"hot","seats":["A-1","A-2"]}`))
	return rc
}

// freshTokens returns a function that gives a token of another fan each time, n in all:
// tokens the server has not seen, whose check computes their HMAC.
func freshTokens(t *testing.T, n int) func() string {
	t.Helper()
	toks := make([]string, 0, n)
	for i := range n {
		tok, _, err := IssueToken(testSecret, fmt.Sprintf("fan%d", i), "", time.Hour, testNow)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	return func() string {
		if len(toks) == 0 {
			panic("out of tokens")
		}
		tok := toks[0]
		toks = toks[1:]
		return tok
	}
}

// TestTokenCheckStackUse measures the stack identify takes at its deepest for a token
// it has not seen before (its HMAC), and logs a whole hold's from the server's handler
// down, for comparison.
func TestTokenCheckStackUse(t *testing.T) {
	srv := hotPathServer(t, &decidedReservations{})
	app := srv.App()
	next := freshTokens(t, 5000)
	check := func() {
		c := app.AcquireCtx(newHoldCtx(next()))
		defer app.ReleaseCtx(c)
		if err := srv.identify(c); err != nil {
			panic(err)
		}
	}
	hold := func() {
		rc := newHoldCtx(next())
		app.Handler()(rc)
		if got := rc.Response.StatusCode(); got != fasthttp.StatusCreated {
			panic(fmt.Sprintf("status %d: %s", got, rc.Response.Body()))
		}
	}
	for range 3 { // pools and caches filled, as in a server that has served a while
		check()
		hold()
	}
	t.Logf("a whole hold with a new token: %d bytes of stack beneath the handler", stackUse(t, hold))
	use := leastStackUse(t, check, 5)
	t.Logf("a new token's check: %d bytes of stack beneath identify (the least of 5)", use)
	if budget := tokenCheckStackBudget(); use > budget {
		t.Errorf("a new token's check takes %d bytes of stack beneath identify, over the budget of %d", use, budget)
	}
}
