package live

import (
	"context"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// await reads ticket id as a reader would (its record, the queue, rendered) and waits
// for its change through the feed; it returns the ticket changed, or, with false, as
// the wait's end found it after d.
func (qe *queueEnv) await(t *testing.T, id string, d time.Duration) (waitingroom.Ticket, bool) {
	t.Helper()
	rec, err := qe.tickets.TicketRecord(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := qe.tickets.QueueState(context.Background(), "ev", 0, -1)
	changed, stop := qe.feed.Await(qe.tickets.Render(rec, q, time.Now()))
	select {
	case nt := <-changed:
		stop()
		return nt, true
	case <-time.After(d):
		return stop(), false
	}
}

// A waiter hears its ticket's admission within a poll, but not the queue merely moving
// (its place and wait are read afresh when its wait ends); a shuffle that places it
// wakes it too; and once it stops, the event's watch is dropped with it.
func TestQueueFeedAwaitWakesOnStatusOrPosition(t *testing.T) {
	qe := newQueueEnv(t, QueueFeedConfig{Poll: 20 * time.Millisecond, Heartbeat: 100 * time.Millisecond, Minor: 50 * time.Millisecond})

	go func() {
		time.Sleep(100 * time.Millisecond)
		qe.tickets.set(func(f *fakeTickets) { f.state.Watermark = 3 })
	}()
	if nt, ok := qe.await(t, "q_5", 400*time.Millisecond); ok || nt.Ahead != 1 || nt.Status != waitingroom.TicketWaiting {
		t.Fatalf("the queue moved, the ticket still waiting: woken %v, ended with %+v; want no wake, 1 ahead at the end", ok, nt)
	}

	go func() {
		time.Sleep(100 * time.Millisecond)
		qe.tickets.set(func(f *fakeTickets) { f.state.Watermark = 5 })
	}()
	start := time.Now()
	nt, ok := qe.await(t, "q_5", 2*time.Second)
	if !ok || nt.Status != waitingroom.TicketAdmitted || nt.Pass != "pass-q_5" {
		t.Fatalf("admitted: woken %v with %+v; want the admitted ticket", ok, nt)
	}
	t.Logf("admission heard after %v", time.Since(start).Round(time.Millisecond))

	qe.tickets.set(func(f *fakeTickets) {
		f.recs["q_new"] = waitingroom.TicketRecord{ID: "q_new", EventID: "ev", UserID: "late"}
	})
	go func() {
		time.Sleep(100 * time.Millisecond)
		qe.tickets.set(func(f *fakeTickets) {
			f.recs["q_new"] = waitingroom.TicketRecord{ID: "q_new", EventID: "ev", UserID: "late", Position: 70}
			f.state.Shuffles = 1
		})
	}()
	if nt, ok := qe.await(t, "q_new", 2*time.Second); !ok || nt.Position != 70 || nt.Status != waitingroom.TicketWaiting {
		t.Fatalf("placed by a shuffle: woken %v with %+v; want position 70, waiting", ok, nt)
	}

	qe.feed.mu.Lock()
	watches := len(qe.feed.watches)
	qe.feed.mu.Unlock()
	if watches != 0 {
		t.Fatalf("%d watches left after every waiter stopped; want none", watches)
	}
}
