package live

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A large fan-out (the sold-out tell to every waiting fan) is written by several
// goroutines at once, each message handed over exactly once and the list cleared; a
// small one stays on the caller's goroutine. Written by the poll's goroutine alone,
// 8,849 sold-out tickets took 0.31 s of one core on a 2-core node.
func TestFanOutSpreadsALargeFanOut(t *testing.T) {
	conns := make([]conn, 4*fanOutShare)
	out := make([]outgoing, len(conns))
	for i := range out {
		out[i] = outgoing{c: &conns[i], msg: &frame{}}
	}
	var (
		mu       sync.Mutex
		seen     = map[*conn]int{}
		inFlight atomic.Int32
		most     atomic.Int32
		both     = make(chan struct{})
		once     sync.Once
	)
	send := func(o outgoing) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		if n > most.Load() {
			most.Store(n)
		}
		if n >= 2 {
			once.Do(func() { close(both) })
		}
		// The first sends wait a while for a second goroutine to show up: a
		// sequential fan-out never has two sends in flight.
		select {
		case <-both:
		case <-time.After(time.Millisecond):
		}
		mu.Lock()
		seen[o.c]++
		mu.Unlock()
	}
	fanOut(out, 2, send)
	if most.Load() < 2 {
		t.Fatalf("a fan-out of %d messages with 2 writers had at most %d sends in flight; want 2", len(out), most.Load())
	}
	if len(seen) != len(conns) {
		t.Fatalf("%d connections written to; want %d", len(seen), len(conns))
	}
	for c, n := range seen {
		if n != 1 {
			t.Fatalf("connection %p written %d times; want once", c, n)
		}
	}
	for i, o := range out {
		if o.c != nil || o.msg != nil {
			t.Fatalf("out[%d] not cleared after the fan-out", i)
		}
	}

	small := out[:fanOutShare]
	for i := range small {
		small[i] = outgoing{c: &conns[i], msg: &frame{}}
	}
	most.Store(0)
	both = make(chan struct{})
	once = sync.Once{}
	fanOut(small, 2, send)
	if most.Load() != 1 {
		t.Fatalf("a fan-out of %d messages had %d sends in flight; want 1", len(small), most.Load())
	}
}
