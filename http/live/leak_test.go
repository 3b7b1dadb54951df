package live

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestWebsocketCyclesLeakNothing opens and closes 10,000 connections, 100 at a time,
// in every way a connection can end from the client's side: a clean close handshake
// or a dropped TCP connection, on both endpoints, while deltas and traces flow. Then
// the hubs hold no subscriber and the goroutines are back to where they were.
func TestWebsocketCyclesLeakNothing(t *testing.T) {
	le := newLiveEnv(t, liveOptions{})
	const (
		cycles      = 10000
		concurrency = 100
	)
	// One warm-up round brings fasthttp's worker pool to its working size first.
	runCycles(t, le, 0, concurrency, concurrency)
	testenv.Eventually(t, 20*time.Second, all(le.wantConnections(0), le.wantViewers(0)))
	baseline := runtime.NumGoroutine()

	stop := make(chan struct{})
	var traffic sync.WaitGroup
	traffic.Add(1)
	go func() {
		defer traffic.Done()
		for v := int64(8); ; v++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			le.feed.Publish("e1", "A", reservedDelta(v, "A-2"))
			le.traces.Trace(traceOf("batch", "e1/A"))
		}
	}()
	runCycles(t, le, concurrency, cycles, concurrency)
	close(stop)
	traffic.Wait()

	testenv.Eventually(t, 30*time.Second, all(le.wantConnections(0), le.wantViewers(0)))
	if n := le.feed.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers left after every connection ended", n)
	}
	le.feed.mu.RLock()
	events := len(le.feed.hubs)
	le.feed.mu.RUnlock()
	if events != 0 {
		t.Fatalf("the hub map still has %d events", events)
	}
	const slack = 10 // fasthttp's idle workers come and go
	err := testenv.Try(30*time.Second, func() error {
		if now := runtime.NumGoroutine(); now > baseline+slack {
			return fmt.Errorf("goroutines: %d after the cycles, %d before", now, baseline)
		}
		return nil
	})
	if err != nil {
		buf := make([]byte, 1<<20)
		t.Fatalf("%v\n%s", err, buf[:runtime.Stack(buf, true)])
	}
}

// runCycles runs connection cycles from..to-1, concurrency at a time.
func runCycles(t *testing.T, le *liveEnv, from, to, concurrency int) {
	t.Helper()
	errs := make(chan error, to-from)
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := from; i < to; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := cycle(le, i); err != nil {
				errs <- fmt.Errorf("cycle %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// cycle connects, waits for the first message and disconnects, cleanly or not.
func cycle(le *liveEnv, i int) error {
	path, first := "/ws/events/e1", "snapshot"
	if i%10 == 0 {
		path, first = "/ws/visualizer", "hello"
	}
	c, err := le.tryDial(path, 0)
	if err != nil {
		return err
	}
	m, err := c.read(30 * time.Second)
	if err != nil {
		c.conn.Close()
		return err
	}
	if m.Type != first {
		c.conn.Close()
		return fmt.Errorf("first message %s, want %s", m.raw, first)
	}
	if i%2 == 0 {
		return c.closeCleanly()
	}
	return c.conn.Close()
}
