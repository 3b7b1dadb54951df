package live

import (
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// Await lets a reader of a waiting ticket wait for its change without a websocket
// (GET /api/v1/queue/{ticket_id}?wait_ms=): changed receives the ticket, once, as soon
// as a poll of its event's queue finds its status or position different from t's (its
// pass comes with its admission), and stop ends the wait and returns the ticket as it
// stands: computed from the watch's last read of the queue (t when it has none yet), so
// that a wait that ran out costs no read. The waiter is one more subscriber of the
// event's watch: its ticket is computed with the others', from the same queue read, and
// a change reaches it within a poll, as it reaches a websocket.
func (f *QueueFeed) Await(t waitingroom.Ticket) (changed <-chan waitingroom.Ticket, stop func() waitingroom.Ticket) {
	ch := make(chan waitingroom.Ticket, 1)
	s := &queueSub{rec: t.TicketRecord, last: t, lastSent: f.cfg.Clock(), wake: ch}
	w := f.attach(t.EventID, s)
	return ch, func() waitingroom.Ticket {
		w.mu.Lock()
		now := f.cfg.Clock()
		if w.read {
			t = f.cfg.Tickets.Render(s.rec, w.state, now)
		}
		w.mu.Unlock()
		f.detach(w, s)
		return t
	}
}

// notify hands a waiter (queueSub.wake) its ticket t when its status or position
// changed: once, since the channel holds one ticket and the waiter leaves with it.
func (s *queueSub) notify(t waitingroom.Ticket) {
	if t.Status == s.last.Status && t.Position == s.last.Position {
		return
	}
	s.last = t
	select {
	case s.wake <- t:
	default:
	}
}
