package http

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// fakeQueueWaits hands every waiter the channel change sends on, and counts the
// waiters subscribed; a waiter that stops gets the ticket last changed to, or else its
// own with eta_seconds 99, as the feed would have computed it since.
type fakeQueueWaits struct {
	mu      sync.Mutex
	ch      chan waitingroom.Ticket
	changed *waitingroom.Ticket
	waiting int // subscribed and not stopped
	awaited int // ever subscribed
}

// change tells the waiters that the ticket changed to t.
func (f *fakeQueueWaits) change(t waitingroom.Ticket) {
	f.mu.Lock()
	f.changed = &t
	f.mu.Unlock()
	f.ch <- t
}

func (f *fakeQueueWaits) Await(t waitingroom.Ticket) (<-chan waitingroom.Ticket, func() waitingroom.Ticket) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waiting++
	f.awaited++
	return f.ch, func() waitingroom.Ticket {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.waiting--
		if f.changed != nil {
			return *f.changed
		}
		t.ETASeconds = 99
		return t
	}
}

func (f *fakeQueueWaits) counts() (waiting, awaited int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiting, f.awaited
}

// GET /api/v1/queue/{ticket_id}?wait_ms= waits for a waiting ticket's change, out of
// the node's backlog, and answers the changed ticket; a ticket not waiting, or a wait
// that runs out, is answered as it stands; a bad wait_ms changes nothing; a shutdown
// answers every waiter at once.
func TestQueueTicketWaitsForItsChange(t *testing.T) {
	rooms := newFakeWaitingRooms()
	waits := &fakeQueueWaits{ch: make(chan waitingroom.Ticket, 1)}
	e := newEnv(t, withWaitingRooms(rooms), func(c *Config) { c.QueueWaits = waits })
	admin, alice := bearer(t, "root", "admin"), bearer(t, "alice", "")
	e.do(t, "PUT", "/api/v1/events/e1/waiting-room", `{"enabled":true}`, admin).expectStatus(t, 200)
	e.do(t, "POST", "/api/v1/events/e1/queue", "", alice).expectStatus(t, 201)

	for _, bad := range []string{"soon", "-1", "30001", "1.5"} {
		d := e.do(t, "GET", "/api/v1/queue/q_alice?wait_ms="+bad, "", alice).expectError(t, 400, "VALIDATION_FAILED")
		if _, ok := d["wait_ms"]; !ok || len(d) != 1 {
			t.Fatalf("wait_ms=%s: details %v; want wait_ms alone", bad, d)
		}
	}
	if _, n := waits.counts(); n != 0 {
		t.Fatalf("%d waits for refused reads; want none", n)
	}

	// A wait that runs out answers the ticket as the feed computes it then.
	start := time.Now()
	r := e.do(t, "GET", "/api/v1/queue/q_alice?wait_ms=100", "", alice)
	if r.status != 200 || r.body["status"] != "waiting" || r.body["eta_seconds"] != 99.0 || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("wait run out after %v: %d %v; want the waiting ticket as the feed has it (eta 99) after 100 ms", time.Since(start), r.status, r.body)
	}

	// A change wakes the read; while it waits it is out of the backlog.
	answered := make(chan response, 1)
	go func() { answered <- e.do(t, "GET", "/api/v1/queue/q_alice?wait_ms=30000", "", alice) }()
	testenv.Eventually(t, 5*time.Second, func() error {
		if w, _ := waits.counts(); w != 1 {
			return errors.New("the read is not waiting yet")
		}
		return nil
	})
	if n := e.srv.InFlight(); n != 0 {
		t.Fatalf("backlog %d with one read waiting; want 0", n)
	}
	admitted, _ := rooms.Ticket(context.Background(), "q_alice")
	admitted.Status, admitted.Pass, admitted.PassExpiresAt = waitingroom.TicketAdmitted, "pass-alice-e1", testNow.Add(10*time.Minute)
	waits.change(admitted)
	select {
	case r = <-answered:
	case <-time.After(5 * time.Second):
		t.Fatal("the change did not answer the waiting read")
	}
	if r.status != 200 || r.body["status"] != "admitted" || r.body["pass"] != "pass-alice-e1" {
		t.Fatalf("woken read: %d %v; want the admitted ticket", r.status, r.body)
	}
	if w, _ := waits.counts(); w != 0 || e.srv.InFlight() != 0 {
		t.Fatalf("after the answer: %d waiting, backlog %d; want none", w, e.srv.InFlight())
	}

	// A ticket not waiting is answered at once.
	rooms.mu.Lock()
	rooms.tickets["q_alice"] = admitted
	rooms.mu.Unlock()
	_, before := waits.counts()
	if r = e.do(t, "GET", "/api/v1/queue/q_alice?wait_ms=30000", "", alice); r.body["status"] != "admitted" {
		t.Fatalf("admitted ticket: %v", r.body)
	}
	if _, after := waits.counts(); after != before {
		t.Fatal("an admitted ticket's read waited")
	}
}

// A shutdown answers the reads waiting for their tickets' change at once, instead of
// waiting out their wait_ms.
func TestShutdownAnswersTheWaitingReads(t *testing.T) {
	rooms := newFakeWaitingRooms()
	waits := &fakeQueueWaits{ch: make(chan waitingroom.Ticket)}
	e := newEnv(t, withWaitingRooms(rooms), func(c *Config) { c.QueueWaits = waits })
	admin, alice := bearer(t, "root", "admin"), bearer(t, "alice", "")
	e.do(t, "PUT", "/api/v1/events/e1/waiting-room", `{"enabled":true}`, admin).expectStatus(t, 200)
	e.do(t, "POST", "/api/v1/events/e1/queue", "", alice).expectStatus(t, 201)
	base := e.serve(t)
	answered := make(chan error, 1)
	go func() {
		r, err := sendURL("GET", base+"/api/v1/queue/q_alice?wait_ms=30000", "", alice)
		if err == nil && (r.status != 200 || r.body["status"] != "waiting") {
			err = errors.New("answered " + r.raw)
		}
		answered <- err
	}()
	testenv.Eventually(t, 5*time.Second, func() error {
		if w, _ := waits.counts(); w != 1 {
			return errors.New("the read is not waiting yet")
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("shutdown took %v with a read waiting 30 s", d)
	}
}
