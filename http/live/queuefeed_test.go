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
	"sync/atomic"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// fakeTickets is one event's queue in memory. Its Render is a simple stand-in for the
// domain's: admitted at or below the watermark, otherwise waiting with the fans ahead.
type fakeTickets struct {
	mu      sync.Mutex
	recs    map[string]waitingroom.TicketRecord
	state   waitingroom.QueueState
	reads   int          // QueueState calls
	opens   int          // of which reads of the one admission a first ticket needs
	renders atomic.Int64 // Render calls
	// upgrading, when slow is set, counts the lookups and first tickets' reads under
	// way, each of which then takes slow nanoseconds.
	upgrading upgradeCount
	slow      atomic.Int64
}

func (f *fakeTickets) TicketRecord(_ context.Context, id string) (waitingroom.TicketRecord, error) {
	defer f.upgrading.during(f.slow.Load())()
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.recs[id]
	if !ok {
		return r, &actors.Error{Code: actors.CodeNotFound, Message: "ticket not found"}
	}
	return r, nil
}

func (f *fakeTickets) TicketRecords(_ context.Context, ids []string) ([]waitingroom.TicketRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []waitingroom.TicketRecord
	for _, id := range ids {
		if r, ok := f.recs[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeTickets) QueueState(_ context.Context, _ string, _ int64, maxAdmissions int) (waitingroom.QueueState, error) {
	if maxAdmissions == 1 {
		defer f.upgrading.during(f.slow.Load())()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if maxAdmissions == 1 {
		f.opens++
	}
	return f.state, nil
}

func (f *fakeTickets) Render(rec waitingroom.TicketRecord, q waitingroom.QueueState, _ time.Time) waitingroom.Ticket {
	f.renders.Add(1)
	t := waitingroom.Ticket{TicketRecord: rec, Status: waitingroom.TicketWaiting}
	switch {
	case rec.Position == 0:
	case rec.Position <= q.Watermark:
		t.Status, t.Pass = waitingroom.TicketAdmitted, "pass-"+rec.ID
	case q.Status.SoldOut && rec.Position > q.Status.SoldOutAfter:
		t.Status = waitingroom.TicketSoldOut
	default:
		t.Ahead = rec.Position - 1 - q.Watermark
		t.ETASeconds = t.Ahead + 1
	}
	return t
}

func (f *fakeTickets) set(change func(*fakeTickets)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// queueEnv serves GET /ws/queue/:ticket_id over fakeTickets with 100 tickets (q_1 at
// position 1, …), with Run polling.
type queueEnv struct {
	tickets *fakeTickets
	feed    *QueueFeed
	base    string
	app     *fiber.App
}

func newQueueEnv(t *testing.T, cfg QueueFeedConfig) *queueEnv {
	t.Helper()
	ft := &fakeTickets{recs: map[string]waitingroom.TicketRecord{}}
	for i := 1; i <= 100; i++ {
		id := fmt.Sprintf("q_%d", i)
		ft.recs[id] = waitingroom.TicketRecord{ID: id, EventID: "ev", UserID: fmt.Sprintf("fan-%d", i), Position: int64(i)}
	}
	cfg.Tickets, cfg.Logger = ft, zap.NewNop()
	feed, err := NewQueueFeed(cfg)
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: answerRefusal})
	app.Get("/ws/queue/:ticket_id", feed.Handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- feed.Run(ctx) }()
	t.Cleanup(func() {
		cctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := feed.Close(cctx); err != nil {
			t.Errorf("close queue feed: %v", err)
		}
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("run: %v", err)
		}
		if err := app.ShutdownWithContext(cctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		closeUnserved(ln)
		<-served
	})
	return &queueEnv{tickets: ft, feed: feed, base: "ws://" + ln.Addr().String(), app: app}
}

// settle waits until 15 polls of 20 ms of a queue that stands still compute no ticket
// (the first poll after a subscription computes its ticket once), and zeroes the count.
func (qe *queueEnv) settle(t *testing.T) {
	t.Helper()
	testenv.Eventually(t, 3*time.Second, func() error {
		qe.tickets.renders.Store(0)
		time.Sleep(300 * time.Millisecond)
		if n := qe.tickets.renders.Load(); n != 0 {
			return fmt.Errorf("%d tickets computed over 15 polls of a queue that did not move", n)
		}
		return nil
	})
	qe.tickets.renders.Store(0)
}

// queueMessage is a /ws/queue message as a client decodes it.
type queueMessage struct {
	Type       string  `json:"type"`
	ID         string  `json:"id"`
	Position   *int64  `json:"position"`
	Ahead      int64   `json:"ahead"`
	ETASeconds int64   `json:"eta_seconds"`
	Status     string  `json:"status"`
	Pass       *string `json:"pass"`
	at         time.Time
}

type queueClient struct {
	t    *testing.T
	conn *fws.Conn
}

func (qe *queueEnv) dial(t *testing.T, id string) *queueClient {
	t.Helper()
	d := fws.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.Dial(qe.base+"/ws/queue/"+id, nil)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("dial %s: %v", id, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &queueClient{t: t, conn: conn}
}

func (c *queueClient) next(timeout time.Duration) (queueMessage, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return queueMessage{}, err
	}
	_, raw, err := c.conn.ReadMessage()
	if err != nil {
		return queueMessage{}, err
	}
	var m queueMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("message %s: %w", raw, err)
	}
	m.at = time.Now()
	return m, nil
}

func (c *queueClient) must(timeout time.Duration) queueMessage {
	c.t.Helper()
	m, err := c.next(timeout)
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

func TestQueueFeedFollowsATicket(t *testing.T) {
	qe := newQueueEnv(t, QueueFeedConfig{Poll: 20 * time.Millisecond, Heartbeat: 400 * time.Millisecond, Minor: 150 * time.Millisecond})
	c := qe.dial(t, "q_5")
	m := c.must(2 * time.Second)
	if m.Type != "queue" || m.ID != "q_5" || m.Position == nil || *m.Position != 5 || m.Ahead != 4 || m.Status != "waiting" || m.Pass != nil {
		t.Fatalf("first message %+v", m)
	}

	// Admissions that only move the fan forward come at most every Minor.
	start := time.Now()
	qe.tickets.set(func(f *fakeTickets) { f.state.Watermark = 1 })
	m = c.must(2 * time.Second)
	if m.Ahead != 3 {
		t.Fatalf("after one admission: %+v", m)
	}
	qe.tickets.set(func(f *fakeTickets) { f.state.Watermark = 2 })
	m2 := c.must(2 * time.Second)
	if m2.Ahead != 2 || m2.at.Sub(m.at) < 100*time.Millisecond {
		t.Fatalf("second move %+v came %v after the first; want at least Minor apart", m2, m2.at.Sub(m.at))
	}

	// Admission itself goes out within a poll, whatever Minor says.
	qe.tickets.set(func(f *fakeTickets) { f.state.Watermark = 5 })
	before := time.Now()
	m = c.must(2 * time.Second)
	if m.Status != "admitted" || m.Pass == nil || *m.Pass != "pass-q_5" {
		t.Fatalf("after admission: %+v", m)
	}
	if d := time.Since(before); d > 150*time.Millisecond {
		t.Fatalf("admission reached the fan after %v", d)
	}

	// Nothing changes: a heartbeat anyway.
	m = c.must(2 * time.Second)
	if m.Status != "admitted" || m.at.Sub(before) < 300*time.Millisecond {
		t.Fatalf("heartbeat %+v after %v", m, m.at.Sub(before))
	}
	t.Logf("followed the ticket in %v", time.Since(start).Round(time.Millisecond))
}

func TestQueueFeedReadsEachQueueOncePerPoll(t *testing.T) {
	qe := newQueueEnv(t, QueueFeedConfig{Poll: 50 * time.Millisecond})
	var clients []*queueClient
	for i := 1; i <= 40; i++ {
		c := qe.dial(t, fmt.Sprintf("q_%d", i))
		c.must(2 * time.Second)
		clients = append(clients, c)
	}
	qe.tickets.set(func(f *fakeTickets) { f.reads = 0 })
	time.Sleep(500 * time.Millisecond)
	qe.tickets.mu.Lock()
	reads := qe.tickets.reads
	qe.tickets.mu.Unlock()
	// About ten polls in half a second: one read each, not one per subscriber.
	if reads < 3 || reads > 15 {
		t.Fatalf("%d queue reads in 500 ms of 50 ms polls with 40 subscribers", reads)
	}
	qe.tickets.set(func(f *fakeTickets) { f.state.Watermark = 40 })
	for i, c := range clients {
		testenv.Eventually(t, 2*time.Second, func() error {
			m, err := c.next(2 * time.Second)
			if err != nil {
				return err
			}
			if m.Status != "admitted" {
				return fmt.Errorf("q_%d: %+v", i+1, m)
			}
			return nil
		})
	}
}

// A poll that finds the queue as it was computes no ticket; one that finds only its
// watermark moved computes the tickets of the fans it admitted, and tells them at once;
// one that finds it sold out computes everybody's.
func TestQueueFeedRendersOnlyWhenTheQueueMoves(t *testing.T) {
	qe := newQueueEnv(t, QueueFeedConfig{Poll: 20 * time.Millisecond, Render: time.Hour, Minor: time.Hour, Heartbeat: time.Hour})
	var clients []*queueClient
	for i := 1; i <= 10; i++ {
		c := qe.dial(t, fmt.Sprintf("q_%d", i))
		c.must(2 * time.Second)
		clients = append(clients, c)
	}
	// The first poll after the subscriptions computes every ticket once; after it, 15
	// polls of a queue that stands still compute none.
	qe.settle(t)
	before := time.Now()
	qe.tickets.set(func(f *fakeTickets) { f.state.Watermark = 3 })
	m := clients[2].must(2 * time.Second)
	if m.Status != "admitted" || time.Since(before) > time.Second {
		t.Fatalf("q_3 after admission: %+v after %v", m, time.Since(before))
	}
	// The other admitted fans heard too; the seven still waiting, whose places alone
	// moved, cost nothing until a message to them is due.
	for i := range 2 {
		if m := clients[i].must(2 * time.Second); m.Status != "admitted" {
			t.Fatalf("q_%d after admission: %+v", i+1, m)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if n := qe.tickets.renders.Load(); n != 3 {
		t.Fatalf("%d tickets computed after the watermark rose over 3 fans; want theirs, 3", n)
	}
	qe.tickets.set(func(f *fakeTickets) { f.state.Status.SoldOut = true })
	testenv.Eventually(t, 2*time.Second, func() error {
		if n := qe.tickets.renders.Load(); n < 3+10 {
			return fmt.Errorf("%d tickets computed after the room sold out; want every subscriber's again", n-3)
		}
		return nil
	})
}

// Seats that return to a sold-out room reach only the fans they cover: those the
// watermark admitted and those the last position with a seat passed, both within a
// poll; the tickets of the fans still sold out are not computed (nor sent).
// When a returned seat sent every sold-out fan its ticket again, 3,687 followers of a
// 10,000-fan sale heard from the room for a handful of seats.
func TestQueueFeedSeatsBackReachOnlyTheFansTheyCover(t *testing.T) {
	qe := newQueueEnv(t, QueueFeedConfig{Poll: 20 * time.Millisecond, Render: time.Hour, Minor: time.Hour, Heartbeat: time.Hour})
	qe.tickets.set(func(f *fakeTickets) { f.state.Status.SoldOut = true })
	var clients []*queueClient
	for i := 1; i <= 10; i++ {
		c := qe.dial(t, fmt.Sprintf("q_%d", i))
		if m := c.must(2 * time.Second); m.Status != "sold_out" {
			t.Fatalf("q_%d in a sold-out room: %+v", i, m)
		}
		clients = append(clients, c)
	}
	// Every subscriber's ticket is computed once by the first poll after it came.
	qe.settle(t)
	// 4 seats back: 2 fans admitted at once, 2 more with a seat to wait for.
	// (Render, Minor and Heartbeat are an hour: only a poll that found the queue moved
	// sends anything.)
	qe.tickets.set(func(f *fakeTickets) { f.state.Watermark, f.state.Status.SoldOutAfter = 2, 4 })
	for i, want := range []string{"admitted", "admitted", "waiting", "waiting"} {
		if m := clients[i].must(2 * time.Second); m.Status != want {
			t.Fatalf("q_%d once 4 seats returned: %+v; want %s", i+1, m, want)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if n := qe.tickets.renders.Load(); n != 4 {
		t.Fatalf("%d tickets computed once 4 seats returned; want the 4 fans they cover", n)
	}
}

// Fans who open their websockets while the event's watch holds a fresh read of the
// queue get their first ticket from it, with no read of their own, and it is the same
// ticket a read would have given.
func TestQueueFeedFirstTicketFromTheWatch(t *testing.T) {
	// A clock that stands still keeps every read of the watch fresh.
	frozen := time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC)
	qe := newQueueEnv(t, QueueFeedConfig{Poll: 20 * time.Millisecond, Clock: func() time.Time { return frozen }})
	qe.tickets.set(func(f *fakeTickets) { f.state.Watermark = 3 })
	first := qe.dial(t, "q_1")
	if m := first.must(2 * time.Second); m.Status != "admitted" {
		t.Fatalf("q_1: %+v", m)
	}
	// The first fan had no watch to join: its ticket needed a read. Once the watch has
	// polled, nobody's does.
	testenv.Eventually(t, 2*time.Second, func() error {
		qe.tickets.mu.Lock()
		defer qe.tickets.mu.Unlock()
		if qe.tickets.reads-qe.tickets.opens == 0 {
			return errors.New("the watch has not polled yet")
		}
		return nil
	})
	var last *queueClient
	for i := 2; i <= 21; i++ {
		last = qe.dial(t, fmt.Sprintf("q_%d", i))
		m := last.must(2 * time.Second)
		if m.Position == nil || *m.Position != int64(i) {
			t.Fatalf("q_%d: %+v", i, m)
		}
		if i <= 3 {
			if m.Status != "admitted" || m.Pass == nil || *m.Pass != fmt.Sprintf("pass-q_%d", i) {
				t.Fatalf("q_%d, admitted: %+v", i, m)
			}
		} else if m.Status != "waiting" || m.Ahead != int64(i-4) || m.Pass != nil {
			t.Fatalf("q_%d, waiting behind 3 admitted: %+v", i, m)
		}
	}
	qe.tickets.mu.Lock()
	opens := qe.tickets.opens
	qe.tickets.mu.Unlock()
	if opens != 1 {
		t.Fatalf("%d reads of the queue for 21 first tickets; want the first fan's only", opens)
	}
	// They are subscribed: what the next poll finds reaches them.
	qe.tickets.set(func(f *fakeTickets) { f.state.Watermark = 21 })
	if m := last.must(2 * time.Second); m.Status != "admitted" {
		t.Fatalf("q_21 after the watermark passed it: %+v", m)
	}
}

func TestQueueFeedPlacesShuffledTickets(t *testing.T) {
	qe := newQueueEnv(t, QueueFeedConfig{Poll: 20 * time.Millisecond})
	qe.tickets.set(func(f *fakeTickets) {
		f.recs["q_new"] = waitingroom.TicketRecord{ID: "q_new", EventID: "ev", UserID: "late"}
	})
	c := qe.dial(t, "q_new")
	if m := c.must(2 * time.Second); m.Position != nil {
		t.Fatalf("before the shuffle: %+v", m)
	}
	qe.tickets.set(func(f *fakeTickets) {
		f.recs["q_new"] = waitingroom.TicketRecord{ID: "q_new", EventID: "ev", UserID: "late", Position: 7}
		f.state.Shuffles = 1
	})
	m := c.must(2 * time.Second)
	if m.Position == nil || *m.Position != 7 || m.Ahead != 6 {
		t.Fatalf("after the shuffle: %+v", m)
	}
}

// A record read before the shuffle and a first ticket computed from a queue read after
// it (the upgrade gate's wait lies between the two): the next poll reads the record
// again and the fan hears its position.
func TestQueueFeedPlacesARecordReadBeforeTheShuffle(t *testing.T) {
	qe := newQueueEnv(t, QueueFeedConfig{Poll: 20 * time.Millisecond})
	qe.tickets.set(func(f *fakeTickets) {
		f.recs["q_new"] = waitingroom.TicketRecord{ID: "q_new", EventID: "ev", UserID: "late"}
		f.state.Shuffles = 1
	})
	c := qe.dial(t, "q_new")
	if m := c.must(2 * time.Second); m.Position != nil {
		t.Fatalf("the record read before the shuffle: %+v", m)
	}
	qe.tickets.set(func(f *fakeTickets) {
		f.recs["q_new"] = waitingroom.TicketRecord{ID: "q_new", EventID: "ev", UserID: "late", Position: 7}
	})
	m := c.must(2 * time.Second)
	if m.Position == nil || *m.Position != 7 {
		t.Fatalf("after the next poll: %+v; want position 7", m)
	}
}

func TestQueueFeedRefusals(t *testing.T) {
	qe := newQueueEnv(t, QueueFeedConfig{})
	d := fws.Dialer{HandshakeTimeout: 10 * time.Second}
	_, resp, err := d.Dial(qe.base+"/ws/queue/q_missing", nil)
	if err == nil || resp == nil || resp.StatusCode != 404 {
		t.Fatalf("upgrade to a missing ticket: %v, %v", resp, err)
	}
	resp.Body.Close()
	for path, want := range map[string]int{
		"/ws/queue/h_1": 404, // no ticket id: refused before anything else
		"/ws/queue/q_1": 400, // not an upgrade
	} {
		resp, err := qe.app.Test(httptest.NewRequest(nethttp.MethodGet, path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
