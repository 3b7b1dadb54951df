package scenario

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

// wsFleet is every fan's websocket subscription to the sale's event. The first
// WSSample subscribers measure delivery latency: from a hold's 201 to the delta that
// shows its seats held.
type wsFleet struct {
	env     *Env
	subs    []*api.Subscription
	held    sync.Map // seat id → time.Time of the hold's answer
	lastMsg atomic.Int64
	wg      sync.WaitGroup
}

// startWebSockets subscribes every fan, or returns nil and says why when the server
// has no websockets (a refused upgrade does not fail the run).
func startWebSockets(ctx context.Context, env *Env, cfg Config, ref audit.SectionRef, res *Result) *wsFleet {
	probe, err := api.Subscribe(ctx, cfg.wsTarget(), ref.EventID, 5*time.Second)
	if err != nil {
		env.Collector.SetWebSocket(true, false, err.Error())
		res.note("websockets unavailable, run continues without them: %v", err)
		return nil
	}
	_ = probe.Close()
	env.Collector.SetWebSocket(true, true, "")
	w := &wsFleet{env: env, subs: make([]*api.Subscription, cfg.Fans)}
	var failed atomic.Int64
	parallelFor(cfg.Fans, 64, func(i int) {
		sub, err := api.Subscribe(ctx, cfg.wsTarget(), ref.EventID, 10*time.Second)
		if err != nil {
			failed.Add(1)
			return
		}
		w.subs[i] = sub
		env.Collector.WSConnected()
	})
	if n := failed.Load(); n > 0 {
		res.note("%d of %d websocket subscriptions failed", n, cfg.Fans)
	}
	for i, sub := range w.subs {
		if sub == nil {
			continue
		}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.read(sub, i < cfg.WSSample)
		}()
	}
	return w
}

// heldAt notes when a fan learned it holds seats.
func (w *wsFleet) heldAt(seats []string, at time.Time) {
	for _, s := range seats {
		w.held.Store(s, at)
	}
}

// read consumes one subscription until it closes.
func (w *wsFleet) read(sub *api.Subscription, sampled bool) {
	versions := versionTrack{}
	for {
		m, at, err := sub.Next(time.Now().Add(10 * time.Minute))
		if err != nil {
			return
		}
		w.lastMsg.Store(at.UnixNano())
		gap := versions.gap(m)
		if sampled {
			for _, seat := range heldSeats(m) {
				if t, ok := w.held.Load(seat); ok {
					w.env.Collector.WSDelivery(at.Sub(t.(time.Time)))
				}
			}
		}
		w.env.Collector.WSMessage(gap)
	}
}

// versionTrack follows one subscription's section versions.
type versionTrack map[string]int64

// gap notes m's versions and reports whether m skipped one.
func (v versionTrack) gap(m api.WSMessage) bool {
	switch m.Type {
	case "snapshot":
		for _, s := range m.Sections {
			v[s.SectionID] = s.Version
		}
	case "seats", "capacity":
		last, ok := v[m.SectionID]
		v[m.SectionID] = m.Version
		return ok && m.Version != last+1
	}
	return false
}

// heldSeats lists the seats a delta shows turning held.
func heldSeats(m api.WSMessage) []string {
	if m.Type != "seats" {
		return nil
	}
	var out []string
	for _, c := range m.Changes {
		if c.Status == audit.SeatHeld {
			out = append(out, c.ID)
		}
	}
	return out
}

// drain waits until the subscriptions have been quiet for 300 ms, at most max.
func (w *wsFleet) drain(max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		last := time.Unix(0, w.lastMsg.Load())
		if time.Since(last) > 300*time.Millisecond {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// close ends every subscription and waits for the readers.
func (w *wsFleet) close() {
	if w == nil {
		return
	}
	for _, s := range w.subs {
		if s != nil {
			_ = s.Close()
		}
	}
	w.wg.Wait()
}
