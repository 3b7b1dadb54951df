package persistence

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// While one batch is in flight the others queue; they go out together in the next
// batch, each gets its own answer, and a caller who gives up leaves the others served.
func TestCoalescerBatchesWhileBusy(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	c := &coalescer[int, int]{max: 100, timeout: time.Minute,
		run: func(ctx context.Context, qs []int) ([]int, error) {
			mu.Lock()
			sizes = append(sizes, len(qs))
			first := len(sizes) == 1
			mu.Unlock()
			if first {
				<-release
			}
			out := make([]int, len(qs))
			for i, q := range qs {
				out[i] = q * 10
			}
			return out, nil
		}}
	ctx := context.Background()
	var wg sync.WaitGroup
	check := func(q int) {
		defer wg.Done()
		if a, err := c.do(ctx, q); err != nil || a != q*10 {
			t.Errorf("do(%d) = %d, %v", q, a, err)
		}
	}
	wg.Add(1)
	go check(0)
	testenv.Eventually(t, 5*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(sizes) != 1 {
			return fmt.Errorf("%d batches started, want the first one in flight", len(sizes))
		}
		return nil
	})
	for q := 1; q <= 10; q++ {
		wg.Add(1)
		go check(q)
	}
	gone, give := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := c.do(gone, 99); done <- err }()
	testenv.Eventually(t, 5*time.Second, func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.pending) != 11 {
			return fmt.Errorf("%d callers queued behind the busy batch, want 11", len(c.pending))
		}
		return nil
	})
	give()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("abandoned caller: %v", err)
	}
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != 10 {
		t.Errorf("batch sizes %v, want [1 10]", sizes)
	}
	waitIdle(t, c)
}

// waitIdle waits until c has no flusher left and nothing queued.
func waitIdle[Q, A any](t *testing.T, c *coalescer[Q, A]) {
	t.Helper()
	testenv.Eventually(t, 5*time.Second, func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.running != 0 || len(c.pending) != 0 {
			return fmt.Errorf("not idle after the rush: %d flushers, %d pending", c.running, len(c.pending))
		}
		return nil
	})
}

// With room for three batches in flight, the first three callers each go out at once,
// without waiting for one another; callers arriving while all three are in flight
// queue, and the first batch to finish takes them all as its next batch. Every caller
// gets its own answer, and at no time are more than three batches in flight.
func TestCoalescerPipelinesBatches(t *testing.T) {
	const slots = 3
	release := make(chan struct{})
	var inFlight, most atomic.Int64
	var mu sync.Mutex
	var sizes []int
	c := &coalescer[int, int]{max: 100, timeout: time.Minute, inflight: slots,
		run: func(ctx context.Context, qs []int) ([]int, error) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			mu.Lock()
			sizes = append(sizes, len(qs))
			first := len(sizes) <= slots
			mu.Unlock()
			if first {
				<-release
			}
			out := make([]int, len(qs))
			for i, q := range qs {
				out[i] = q + 1000
			}
			return out, nil
		}}
	ctx := context.Background()
	var wg sync.WaitGroup
	check := func(q int) {
		defer wg.Done()
		if a, err := c.do(ctx, q); err != nil || a != q+1000 {
			t.Errorf("do(%d) = %d, %v", q, a, err)
		}
	}
	// The first three go one at a time, each into a batch of its own that stays in flight.
	for q := range slots {
		wg.Add(1)
		go check(q)
		testenv.Eventually(t, 5*time.Second, func() error {
			if n := inFlight.Load(); n != int64(q+1) {
				return fmt.Errorf("%d batches in flight, want %d", n, q+1)
			}
			return nil
		})
	}
	for q := slots; q < slots+40; q++ {
		wg.Add(1)
		go check(q)
	}
	testenv.Eventually(t, 5*time.Second, func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.pending) != 40 || c.running != slots {
			return fmt.Errorf("%d queued with %d flushers, want 40 queued behind %d", len(c.pending), c.running, slots)
		}
		return nil
	})
	close(release)
	wg.Wait()
	waitIdle(t, c)
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(sizes) != "[1 1 1 40]" {
		t.Errorf("batch sizes %v, want [1 1 1 40]: three alone, then the queue in one", sizes)
	}
	if most.Load() > slots {
		t.Errorf("%d batches were in flight at once, want at most %d", most.Load(), slots)
	}
}

// Many callers at once, some giving up: every one that waits gets its own answer, the
// answers never cross, and the coalescer ends idle. (Run with -race.)
func TestCoalescerManyCallersUnderRace(t *testing.T) {
	c := &coalescer[int, int]{max: 7, timeout: time.Minute, inflight: 4,
		run: func(ctx context.Context, qs []int) ([]int, error) {
			if len(qs) > 7 {
				return nil, fmt.Errorf("batch of %d over the bound of 7", len(qs))
			}
			time.Sleep(time.Millisecond)
			out := make([]int, len(qs))
			for i, q := range qs {
				out[i] = -q
			}
			return out, nil
		}}
	var wg sync.WaitGroup
	for q := 1; q <= 500; q++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			if q%10 == 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(q%3)*time.Millisecond)
				defer cancel()
			}
			a, err := c.do(ctx, q)
			switch {
			case err != nil && q%10 == 0 && errors.Is(err, context.DeadlineExceeded):
			case err != nil:
				t.Errorf("do(%d): %v", q, err)
			case a != -q:
				t.Errorf("do(%d) = %d, want %d", q, a, -q)
			}
		}()
	}
	wg.Wait()
	waitIdle(t, c)
}

// A failed batch fails each of its callers with the error; the next caller runs anew.
func TestCoalescerFailsTheBatch(t *testing.T) {
	boom := errors.New("boom")
	fail := true
	c := &coalescer[int, int]{max: 10, timeout: time.Minute,
		run: func(ctx context.Context, qs []int) ([]int, error) {
			if fail {
				return nil, boom
			}
			return make([]int, len(qs)), nil
		}}
	if _, err := c.do(context.Background(), 1); !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	fail = false
	if _, err := c.do(context.Background(), 2); err != nil {
		t.Fatalf("after a failure: %v", err)
	}
}

// A request's place in the queue and its channel are kept for the next caller once its
// answer is read: a lone caller's request costs only its batch's allocations (the
// flusher, the batch, its timeout), not its own. Without the reuse each request costs two
// more (its struct and its channel): 10 allocations a request instead of 8.
func TestCoalescerReusesRequests(t *testing.T) {
	if raceBuild {
		t.Skip("under the race detector a sync.Pool drops what it is given at random")
	}
	c := echoCoalescer()
	ctx := context.Background()
	c.do(ctx, 0) //nolint:errcheck // warms the pool
	got := testing.AllocsPerRun(200, func() {
		if a, err := c.do(ctx, 7); err != nil || a != 7 {
			t.Fatalf("do(7) = %d, %v", a, err)
		}
	})
	if got > 8 {
		t.Errorf("%.1f allocations a request, want at most 8: the request and its channel are not reused", got)
	}
}
