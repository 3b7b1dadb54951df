package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/scenario"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
)

// runFlash runs the flash sale and reads the server's memory: idle, with every fan's
// connection open, and its peak during the sale.
func runFlash(ctx context.Context, c Config, base scenario.Config, newEnv func() *scenario.Env, srv *serverproc.Server, strategy string, sr *StrategyResult) error {
	var err error
	flash := base
	flash.Scenario, flash.Fans, flash.Seats, flash.WebSockets = scenario.Flash, c.FlashFans, c.FlashSeats, c.FlashWS
	env := newEnv()
	env.Label = strategy + " flash"
	sr.RSSIdle, _ = srv.RSS()
	var peak, connected atomic.Int64
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sampleRSS(sampleCtx, srv, &peak)
	}()
	env.OnConnected = func(conns int) {
		sr.Connections = conns
		if kb, err := srv.RSS(); err == nil {
			connected.Store(kb)
		}
	}
	fmt.Fprintf(c.Out, "bench: %s flash: %d fans on %d seats\n", strategy, c.FlashFans, c.FlashSeats)
	sr.Flash, err = scenario.Execute(ctx, env, flash, false)
	stopSampling()
	wg.Wait()
	sr.RSSConnected, sr.RSSPeak = connected.Load(), peak.Load()
	if err != nil {
		return fmt.Errorf("flash: %w", err)
	}
	return nil
}

// sampleRSS keeps the highest RSS seen every 50 ms until ctx ends.
func sampleRSS(ctx context.Context, srv *serverproc.Server, peak *atomic.Int64) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if kb, err := srv.RSS(); err == nil && kb > peak.Load() {
			peak.Store(kb)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
