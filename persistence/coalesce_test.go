package persistence

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
	if c.busy || len(c.pending) != 0 {
		t.Errorf("not idle after the rush: busy %v, %d pending", c.busy, len(c.pending))
	}
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
