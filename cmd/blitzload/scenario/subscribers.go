package scenario

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// SubscribersConfig is the companion process's work: Count subscriptions to one event,
// the first Sample of which report every seat they see turn held.
type SubscribersConfig struct {
	Target  string
	EventID string
	Count   int
	Sample  int
}

// RunSubscribers is `blitzload subscribers`, the companion of a flash sale whose fans
// and subscriptions do not fit in one process: it opens the subscriptions, writes one
// JSON line when they are open, reads until stdin closes, waits for the deltas to stop
// (300 ms of quiet, at most 3 s), and writes a JSON summary line.
func RunSubscribers(ctx context.Context, cfg SubscribersConfig, stdin io.Reader, stdout io.Writer) error {
	if cfg.Target == "" || cfg.EventID == "" || cfg.Count < 1 {
		return fmt.Errorf("subscribers: target, event and a positive count are required")
	}
	subs := make([]*api.Subscription, cfg.Count)
	var failed atomic.Int64
	parallelFor(cfg.Count, 128, func(i int) {
		sub, err := api.Subscribe(ctx, cfg.Target, cfg.EventID, 10*time.Second)
		if err != nil {
			failed.Add(1)
			return
		}
		subs[i] = sub
	})
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	if err := enc.Encode(remoteReady{Connected: cfg.Count - int(failed.Load()), Failed: int(failed.Load())}); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	var messages, gaps, last atomic.Int64
	var mu sync.Mutex
	var held []remoteSeen
	var wg sync.WaitGroup
	for i, sub := range subs {
		if sub == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			versions := versionTrack{}
			for {
				m, at, err := sub.Next(time.Now().Add(time.Hour))
				if err != nil {
					return
				}
				last.Store(at.UnixNano())
				messages.Add(1)
				if versions.gap(m) {
					gaps.Add(1)
				}
				if i < cfg.Sample {
					seats := heldSeats(m)
					mu.Lock()
					for _, seat := range seats {
						held = append(held, remoteSeen{Seat: seat, At: at.UnixNano()})
					}
					mu.Unlock()
				}
			}
		}()
	}
	_, _ = io.Copy(io.Discard, stdin) // the sale is over when the parent closes stdin
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && time.Since(time.Unix(0, last.Load())) < 300*time.Millisecond {
		time.Sleep(50 * time.Millisecond)
	}
	for _, s := range subs {
		if s != nil {
			_ = s.Close()
		}
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if err := enc.Encode(remoteSummary{Messages: messages.Load(), Gaps: gaps.Load(), Held: held}); err != nil {
		return err
	}
	return w.Flush()
}
