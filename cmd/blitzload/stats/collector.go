package stats

import (
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Collector aggregates Samples from many goroutines. Samples that arrive before Begin
// (setup, warm-up) are counted apart and left out of the results.
type Collector struct {
	mu        sync.Mutex
	began     time.Time
	finished  time.Time
	setup     int64
	totals    counters
	endpoints map[string]*endpointStats
	seconds   []*second
	lag       *hdrhistogram.Histogram
	ws        wsStats
}

type counters struct {
	requests, decisions, durableHolds, errors int64
}

func (c *counters) add(s Sample) {
	c.requests++
	if s.Decision {
		c.decisions++
	}
	if s.DurableHold {
		c.durableHolds++
	}
	if s.Error {
		c.errors++
	}
}

type endpointStats struct {
	hist     *hdrhistogram.Histogram
	errors   int64
	statuses map[int]int64
	codes    map[string]int64
}

type second struct {
	counters
	endpoints map[string]*hdrhistogram.Histogram
}

// NewCollector returns an empty collector.
func NewCollector() *Collector {
	return &Collector{endpoints: map[string]*endpointStats{}, lag: newHistogram(3)}
}

// Begin starts the measured window at t.
func (c *Collector) Begin(t time.Time) {
	c.mu.Lock()
	c.began = t
	c.mu.Unlock()
}

// Finish ends the measured window at t; samples still arriving are kept.
func (c *Collector) Finish(t time.Time) {
	c.mu.Lock()
	c.finished = t
	c.mu.Unlock()
}

// Observe adds one sample.
func (c *Collector) Observe(s Sample) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.began.IsZero() {
		c.setup++
		return
	}
	c.totals.add(s)
	ep := c.endpoints[s.Endpoint]
	if ep == nil {
		ep = &endpointStats{hist: newHistogram(3), statuses: map[int]int64{}, codes: map[string]int64{}}
		c.endpoints[s.Endpoint] = ep
	}
	lat := s.Latency()
	record(ep.hist, lat)
	ep.statuses[s.Status]++
	if s.Code != "" {
		ep.codes[s.Code]++
	}
	if s.Error {
		ep.errors++
	}
	if !s.Scheduled.IsZero() {
		record(c.lag, s.Lag())
	}
	idx := int(s.End.Sub(c.began) / time.Second)
	if idx < 0 {
		idx = 0
	}
	for len(c.seconds) <= idx {
		c.seconds = append(c.seconds, &second{endpoints: map[string]*hdrhistogram.Histogram{}})
	}
	sec := c.seconds[idx]
	sec.add(s)
	h := sec.endpoints[s.Endpoint]
	if h == nil {
		h = newHistogram(2)
		sec.endpoints[s.Endpoint] = h
	}
	record(h, lat)
}

// Snapshot is the running totals at one instant, for the live console.
type Snapshot struct {
	Elapsed                                   time.Duration
	Requests, Decisions, DurableHolds, Errors int64
	// LastSecond holds the p50 and p99 of each endpoint in the last complete second.
	LastSecond map[string]Latency
}

// Snapshot returns the totals so far.
func (c *Collector) Snapshot(now time.Time) Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Snapshot{Requests: c.totals.requests, Decisions: c.totals.decisions,
		DurableHolds: c.totals.durableHolds, Errors: c.totals.errors, LastSecond: map[string]Latency{}}
	if c.began.IsZero() {
		return s
	}
	s.Elapsed = now.Sub(c.began)
	if last := int(s.Elapsed/time.Second) - 1; last >= 0 && last < len(c.seconds) {
		for name, h := range c.seconds[last].endpoints {
			s.LastSecond[name] = summarize(h)
		}
	}
	return s
}

// Summary is the result of a run, ready for reports.
type Summary struct {
	Began              time.Time     `json:"began"`
	Seconds            float64       `json:"seconds"`
	Requests           int64         `json:"requests"`
	Decisions          int64         `json:"decisions"`
	DurableHolds       int64         `json:"durable_holds"`
	Errors             int64         `json:"errors"`
	SetupRequests      int64         `json:"setup_requests"`
	RequestsPerSec     float64       `json:"requests_per_sec"`
	DecisionsPerSec    float64       `json:"decisions_per_sec"`
	DurableHoldsPerSec float64       `json:"durable_holds_per_sec"`
	Endpoints          []Endpoint    `json:"endpoints"`
	Timeline           []Second      `json:"timeline"`
	ScheduleLag        *Latency      `json:"schedule_lag,omitempty"`
	WebSocket          WebSocketInfo `json:"websocket"`
}

// Endpoint is one route's results.
type Endpoint struct {
	Name      string           `json:"name"`
	Count     int64            `json:"count"`
	Errors    int64            `json:"errors"`
	Latency   Latency          `json:"latency"`
	Statuses  map[string]int64 `json:"statuses"`
	Codes     map[string]int64 `json:"codes"`
	Histogram []Bar            `json:"histogram"`
}

// Second is one second of the run.
type Second struct {
	Second       int                `json:"second"`
	Requests     int64              `json:"requests"`
	Decisions    int64              `json:"decisions"`
	DurableHolds int64              `json:"durable_holds"`
	Errors       int64              `json:"errors"`
	Endpoints    map[string]Latency `json:"endpoints"`
}

// Endpoint returns the named endpoint's results and whether there were any.
func (s Summary) Endpoint(name string) (Endpoint, bool) {
	for _, e := range s.Endpoints {
		if e.Name == name {
			return e, true
		}
	}
	return Endpoint{}, false
}

// Summary returns the results. The window runs from Begin to Finish (or to the last
// sample when Finish was not called).
func (c *Collector) Summary() Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	end := c.finished
	if end.IsZero() || end.Before(c.began) {
		end = c.began.Add(time.Duration(len(c.seconds)) * time.Second)
	}
	secs := end.Sub(c.began).Seconds()
	s := Summary{
		Began: c.began, Seconds: secs, SetupRequests: c.setup,
		Requests: c.totals.requests, Decisions: c.totals.decisions,
		DurableHolds: c.totals.durableHolds, Errors: c.totals.errors,
		WebSocket: c.ws.info(),
	}
	if secs > 0 {
		s.RequestsPerSec = float64(s.Requests) / secs
		s.DecisionsPerSec = float64(s.Decisions) / secs
		s.DurableHoldsPerSec = float64(s.DurableHolds) / secs
	}
	names := make([]string, 0, len(c.endpoints))
	for n := range c.endpoints {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ep := c.endpoints[n]
		e := Endpoint{Name: n, Count: ep.hist.TotalCount(), Errors: ep.errors, Latency: summarize(ep.hist),
			Statuses: map[string]int64{}, Codes: map[string]int64{}, Histogram: bars(ep.hist)}
		for st, k := range ep.statuses {
			e.Statuses[statusName(st)] = k
		}
		for code, k := range ep.codes {
			e.Codes[code] = k
		}
		s.Endpoints = append(s.Endpoints, e)
	}
	for i, sec := range c.seconds {
		out := Second{Second: i, Requests: sec.requests, Decisions: sec.decisions, DurableHolds: sec.durableHolds,
			Errors: sec.errors, Endpoints: map[string]Latency{}}
		for n, h := range sec.endpoints {
			out.Endpoints[n] = summarize(h)
		}
		s.Timeline = append(s.Timeline, out)
	}
	if c.lag.TotalCount() > 0 {
		l := summarize(c.lag)
		s.ScheduleLag = &l
	}
	return s
}

func statusName(st int) string {
	if st == 0 {
		return "no answer"
	}
	return strconv.Itoa(st)
}
