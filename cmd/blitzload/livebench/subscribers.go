package livebench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// subscriber is one idle websocket client of the event.
type subscriber struct {
	sub     *api.Subscription
	tr      *Tracker
	version atomic.Int64
	// lost: the connection ended before the run closed it.
	lost atomic.Bool
}

// fleet is every subscriber of a run.
type fleet struct {
	// buffers are the read buffers (*[]byte) the subscribers share.
	buffers sync.Pool
	subs    []*subscriber
	closing atomic.Bool
	wg      sync.WaitGroup
	failed  int
	lastErr error
}

// subscriberReadBuffer is each subscriber's websocket read buffer: deltas are small,
// and a snapshot is read through it in pieces.
const subscriberReadBuffer = 1 << 10

// openFleet connects n subscribers to the event (dials concurrency at a time) and
// waits until each has read its snapshot. Subscribers that fail to connect are
// counted, not fatal.
func openFleet(ctx context.Context, base, eventID, sectionID string, n, concurrency int, book *HoldBook, lat *Latencies) (*fleet, error) {
	f := &fleet{buffers: sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}}
	var mu sync.Mutex
	ready := make(chan struct{}, n)
	sem := make(chan struct{}, max(concurrency, 1))
	var dials sync.WaitGroup
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		dials.Add(1)
		go func() {
			defer dials.Done()
			defer func() { <-sem }()
			sub, err := api.SubscribeBuffered(ctx, base, eventID, 30*time.Second, subscriberReadBuffer)
			if err != nil {
				mu.Lock()
				f.failed++
				f.lastErr = err
				mu.Unlock()
				return
			}
			s := &subscriber{sub: sub, tr: NewTracker(i, book, lat)}
			mu.Lock()
			f.subs = append(f.subs, s)
			mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.read(s, sectionID, ready)
			}()
		}()
	}
	dials.Wait()
	if len(f.subs) == 0 {
		return f, fmt.Errorf("no subscriber connected: %w", f.lastErr)
	}
	deadline := time.After(60 * time.Second)
	for range f.subs {
		select {
		case <-ready:
		case <-deadline:
			return f, errors.New("subscribers' snapshots did not all arrive within 60 s")
		case <-ctx.Done():
			return f, ctx.Err()
		}
	}
	return f, nil
}

// read consumes one subscription: the snapshot, then deltas, until it closes. Messages
// are read into buffers shared by the fleet and scanned, not decoded.
func (f *fleet) read(s *subscriber, sectionID string, ready chan<- struct{}) {
	first := true
	var held []string
	_ = s.sub.SetReadDeadline(time.Now().Add(time.Hour))
	for {
		bp := f.buffers.Get().(*[]byte)
		data, at, err := s.sub.NextRaw(*bp)
		if err != nil {
			*bp = data[:0]
			f.buffers.Put(bp)
			if !f.closing.Load() {
				s.lost.Store(true)
			}
			if first {
				ready <- struct{}{}
			}
			return
		}
		p := parseMessage(data, sectionID, held)
		*bp = data[:0]
		f.buffers.Put(bp)
		switch p.kind {
		case frameSnapshot:
			s.tr.Snapshot(p.version)
			s.version.Store(p.version)
			if first {
				first = false
				ready <- struct{}{}
			}
		case frameSeats:
			held = p.held
			s.tr.Delta(p.version, held, at)
			s.version.Store(p.version)
		}
	}
}

// await waits until every live subscriber has seen version v, or timeout passes; it
// returns how many had not.
func (f *fleet) await(v int64, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		behind := 0
		for _, s := range f.subs {
			if !s.lost.Load() && s.version.Load() < v {
				behind++
			}
		}
		if behind == 0 || time.Now().After(deadline) {
			return behind
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// close ends every subscription and waits for the readers.
func (f *fleet) close() {
	f.closing.Store(true)
	for _, s := range f.subs {
		_ = s.sub.Close()
	}
	f.wg.Wait()
}

// fleetCounts totals the trackers once the readers have stopped.
type fleetCounts struct {
	Connected, Failed, Lost               int
	Messages, Gaps, Duplicates, Unmatched int64
	Spread                                Summary
}

func (f *fleet) counts() fleetCounts {
	c := fleetCounts{Connected: len(f.subs), Failed: f.failed}
	arrivals := make([][]arrival, 0, len(f.subs))
	for _, s := range f.subs {
		if !s.lost.Load() {
			arrivals = append(arrivals, s.tr.arrivals)
		}
		if s.lost.Load() {
			c.Lost++
		}
		c.Messages += s.tr.Messages
		c.Gaps += s.tr.Gaps
		c.Duplicates += s.tr.Duplicates
		c.Unmatched += s.tr.Finish()
	}
	c.Spread = Spread(arrivals)
	return c
}
