package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// liveEnv is a Fiber app serving both endpoints over a fake catalog, listening on a
// free port. In the program the handlers run behind http's routes and error table;
// here answerRefusal stands in for that table.
type liveEnv struct {
	app    *fiber.App
	cat    *fakeCatalog
	reg    *prometheus.Registry
	feed   *EventFeed
	traces *TraceHub
	base   string // ws://127.0.0.1:port
}

// liveOptions tune a liveEnv.
type liveOptions struct {
	events     EndpointConfig
	visualizer EndpointConfig
	traceHub   func(*TraceHubConfig)
	catalog    Catalog // default: the env's fake catalog
	// sendBuffer, when set, shrinks the kernel send buffer of every accepted connection,
	// so that a client that does not read fills it quickly.
	sendBuffer int
	// noTraceRun leaves the trace hub's dispatcher stopped.
	noTraceRun bool
}

func newLiveEnv(t *testing.T, opts liveOptions) *liveEnv {
	t.Helper()
	le := &liveEnv{cat: newFakeCatalog(), reg: prometheus.NewRegistry()}
	var cat Catalog = le.cat
	if opts.catalog != nil {
		cat = opts.catalog
	}
	feed, err := NewEventFeed(EventFeedConfig{Catalog: cat, Logger: zap.NewNop(), Registerer: le.reg, Endpoint: opts.events})
	if err != nil {
		t.Fatal(err)
	}
	hcfg := TraceHubConfig{Node: "n1", Logger: zap.NewNop(), Registerer: le.reg, Endpoint: opts.visualizer}
	if opts.traceHub != nil {
		opts.traceHub(&hcfg)
	}
	traces, err := NewTraceHub(hcfg)
	if err != nil {
		t.Fatal(err)
	}
	le.feed, le.traces = feed, traces
	le.app = fiber.New(fiber.Config{DisableStartupMessage: true, ReduceMemoryUsage: true, ErrorHandler: answerRefusal})
	le.app.Get("/ws/events/:event_id", feed.Handler())
	le.app.Get("/ws/visualizer", traces.Handler())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	le.base = "ws://" + ln.Addr().String()
	var l net.Listener = ln
	if opts.sendBuffer > 0 {
		l = smallSendBuffers{Listener: ln, size: opts.sendBuffer}
	}
	served := make(chan error, 1)
	go func() { served <- le.app.Listener(l) }()
	ctx, stopTraces := context.WithCancel(context.Background())
	traced := make(chan error, 1)
	if opts.noTraceRun {
		traced <- nil
	} else {
		go func() { traced <- traces.Run(ctx) }()
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := feed.Close(cctx); err != nil {
			t.Errorf("close event feed: %v", err)
		}
		if err := traces.Close(cctx); err != nil {
			t.Errorf("close trace hub: %v", err)
		}
		stopTraces()
		if err := <-traced; err != nil {
			t.Errorf("trace hub run: %v", err)
		}
		if err := le.app.ShutdownWithContext(cctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		closeUnserved(ln)
		if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return le
}

// closeUnserved closes ln after the app's shutdown: fasthttp's shutdown closes only the
// listeners its Serve has registered, so a test that ends before the serving goroutine
// ran would leave that goroutine accepting forever.
func closeUnserved(ln net.Listener) { _ = ln.Close() }

// refusalJSON is how answerRefusal reports an error.
type refusalJSON struct {
	Code   actors.Code       `json:"code"`
	Fields map[string]string `json:"fields"`
}

// answerRefusal answers a handler's error with the status docs/api.md gives its code, for
// the codes the endpoints refuse with, and the code and fields as JSON. Anything else
// is a 500, which no test expects.
func answerRefusal(c *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	e, ok := actors.AsError(err)
	if !ok {
		return c.Status(status).SendString(err.Error())
	}
	switch e.Code {
	case actors.CodeValidation:
		status = fiber.StatusBadRequest
	case actors.CodeNotFound:
		status = fiber.StatusNotFound
	case actors.CodeUnavailable:
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(refusalJSON{Code: e.Code, Fields: e.Fields})
}

// get sends a plain GET (no upgrade) to path and returns the status and the refusal.
func (le *liveEnv) get(t *testing.T, path string) (int, refusalJSON) {
	t.Helper()
	resp, err := le.app.Test(httptest.NewRequest(nethttp.MethodGet, path, nil), -1)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var r refusalJSON
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("GET %s: status %d, body is no refusal: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode, r
}

// smallSendBuffers shrinks the kernel send buffer of each accepted connection.
type smallSendBuffers struct {
	net.Listener
	size int
}

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		if err := tc.SetWriteBuffer(l.size); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// testClient is a test client of one websocket.
type testClient struct {
	t    testing.TB
	conn *fws.Conn
	path string
}

// dial opens path on the live env; readBuffer > 0 shrinks the client's kernel
// receive buffer.
func (le *liveEnv) dial(t testing.TB, path string, readBuffer int) *testClient {
	t.Helper()
	c, err := le.tryDial(path, readBuffer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.conn.Close() })
	c.t = t
	return c
}

// tryDial opens path; it may run outside the test goroutine.
func (le *liveEnv) tryDial(path string, readBuffer int) (*testClient, error) {
	d := fws.Dialer{HandshakeTimeout: 10 * time.Second}
	if readBuffer > 0 {
		d.NetDial = func(network, addr string) (net.Conn, error) {
			c, err := net.Dial(network, addr)
			if err != nil {
				return nil, err
			}
			if err := c.(*net.TCPConn).SetReadBuffer(readBuffer); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		}
	}
	conn, resp, err := d.Dial(le.base+path, nil)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("dial %s: %w (status %d)", path, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", path, err)
	}
	return &testClient{conn: conn, path: path}, nil
}

// testMessage is any message of the two websockets, decoded loosely.
type testMessage struct {
	Type      string          `json:"type"`
	EventID   string          `json:"event_id"`
	SectionID string          `json:"section_id"`
	Version   int64           `json:"version"`
	Changes   []seatJSON      `json:"changes"`
	Sections  json.RawMessage `json:"sections"`
	Available *int            `json:"available"`
	Held      *int            `json:"held"`
	Sold      *int            `json:"sold"`
	Node      string          `json:"node"`
	Actor     string          `json:"actor"`
	raw       string
}

// next reads one message, failing the test on anything but a message.
func (c *testClient) next() testMessage {
	c.t.Helper()
	m, err := c.read(10 * time.Second)
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

// read reads one message within timeout.
func (c *testClient) read(timeout time.Duration) (testMessage, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return testMessage{}, err
	}
	_, raw, err := c.conn.ReadMessage()
	if err != nil {
		return testMessage{}, err
	}
	var m testMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return testMessage{}, fmt.Errorf("message %q: %w", raw, err)
	}
	if err := checkMessage(c.path, raw); err != nil {
		return testMessage{}, err
	}
	m.raw = string(raw)
	return m, nil
}

// expectClose reads until the server's close frame and returns its code and text.
func (c *testClient) expectClose(timeout time.Duration) (int, string) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.read(time.Until(deadline))
		if err == nil {
			continue
		}
		var ce *fws.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Text
		}
		c.t.Fatalf("connection ended without a close frame: %v", err)
	}
}

// closeCleanly sends a close frame and waits for the server's answer.
func (c *testClient) closeCleanly() error {
	msg := fws.FormatCloseMessage(fws.CloseNormalClosure, "bye")
	if err := c.conn.WriteControl(fws.CloseMessage, msg, time.Now().Add(5*time.Second)); err != nil {
		return err
	}
	for {
		if _, err := c.read(5 * time.Second); err != nil {
			c.conn.Close()
			if fws.IsCloseError(err, fws.CloseNormalClosure) {
				return nil
			}
			return err
		}
	}
}

// wantConnections is a check that the event feed has n connections open.
func (le *liveEnv) wantConnections(n int) func() error {
	return func() error {
		if got := le.feed.Connections(); got != n {
			return fmt.Errorf("%d event feed connections open, want %d", got, n)
		}
		return nil
	}
}

// wantSubscribers is a check that the event feed has n subscribers.
func (le *liveEnv) wantSubscribers(n int) func() error {
	return func() error {
		if got := le.feed.Subscribers(); got != n {
			return fmt.Errorf("%d event feed subscribers, want %d", got, n)
		}
		return nil
	}
}

// wantViewers is a check that the trace hub has n viewers.
func (le *liveEnv) wantViewers(n int) func() error {
	return func() error {
		if got := le.traces.Viewers(); got != n {
			return fmt.Errorf("%d visualizer viewers, want %d", got, n)
		}
		return nil
	}
}

// all is a check that passes when every one of checks does.
func all(checks ...func() error) func() error {
	return func() error {
		var errs []error
		for _, c := range checks {
			errs = append(errs, c())
		}
		return errors.Join(errs...)
	}
}

// metricValue returns the value of the series name{labels} in reg, or 0.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m, labels) {
				switch {
				case m.Counter != nil:
					return m.Counter.GetValue()
				case m.Gauge != nil:
					return m.Gauge.GetValue()
				}
			}
		}
	}
	return 0
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, lp := range m.GetLabel() {
		if v, ok := want[lp.GetName()]; ok {
			if v != lp.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}

// reservedDelta is a committed version of a reserved section changing the given seats.
func reservedDelta(version int64, seats ...string) actors.SectionChanged {
	ch := actors.SectionChanged{Version: version, Kind: actors.KindReserved}
	for _, s := range seats {
		ch.Changes = append(ch.Changes, actors.SeatStatusChange{ID: s, Status: actors.SeatHeld})
	}
	return ch
}

// capacityDelta is a committed version of a general-admission section.
func capacityDelta(version int64, held, sold int) actors.SectionChanged {
	return actors.SectionChanged{Version: version, Kind: actors.KindGeneralAdmission, Capacity: 500,
		Available: 500 - held - sold, Held: held, Sold: sold}
}

// versionsSeen collects the versions one client receives, per section, in a goroutine.
type versionsSeen struct {
	mu       sync.Mutex
	bySec    map[string][]int64
	snapshot *testMessage
	err      error
	done     chan struct{}
}

func watchVersions(c *testClient) *versionsSeen {
	v := &versionsSeen{bySec: make(map[string][]int64), done: make(chan struct{})}
	go func() {
		defer close(v.done)
		for {
			m, err := c.read(30 * time.Second)
			v.mu.Lock()
			if err != nil {
				v.err = err
				v.mu.Unlock()
				return
			}
			switch m.Type {
			case "snapshot":
				v.snapshot = &m
			case "seats", "capacity":
				v.bySec[m.SectionID] = append(v.bySec[m.SectionID], m.Version)
			}
			v.mu.Unlock()
		}
	}()
	return v
}

func (v *versionsSeen) last(section string) int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.bySec[section]
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// wantLast is a check that the newest version seen of section is version.
func (v *versionsSeen) wantLast(section string, version int64) func() error {
	return func() error {
		if got := v.last(section); got != version {
			v.mu.Lock()
			snapshot, err := v.snapshot != nil, v.err
			v.mu.Unlock()
			return fmt.Errorf("newest version of %s seen is %d, want %d (snapshot received: %v; reader stopped: %v)",
				section, got, version, snapshot, err)
		}
		return nil
	}
}

func (v *versionsSeen) versions(section string) []int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]int64(nil), v.bySec[section]...)
}

// consecutive reports whether vs is from, from+1, …, to.
func consecutive(vs []int64, from, to int64) bool {
	if int64(len(vs)) != to-from+1 {
		return false
	}
	for i, v := range vs {
		if v != from+int64(i) {
			return false
		}
	}
	return true
}

func seatIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Z-%d", i+1)
	}
	return out
}

// snapshotVersions returns the version of each section of a snapshot message.
func snapshotVersions(t *testing.T, snap testMessage) map[string]int64 {
	t.Helper()
	var secs []struct {
		SectionID string `json:"section_id"`
		Version   int64  `json:"version"`
	}
	if err := json.Unmarshal(snap.Sections, &secs); err != nil {
		t.Fatalf("snapshot sections %s: %v", snap.Sections, err)
	}
	out := make(map[string]int64, len(secs))
	for _, s := range secs {
		out[s.SectionID] = s.Version
	}
	return out
}
