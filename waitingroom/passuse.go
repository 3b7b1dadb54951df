package waitingroom

import (
	"context"
	"sync"
	"time"
)

// DefaultPassUseEvery is how often a node records the passes its holds used.
const DefaultPassUseEvery = 50 * time.Millisecond

// passUseLog gathers the passes this node's holds used until the next flush, each
// once: a hold answers at once, and the store learns of the uses in one write.
type passUseLog struct {
	mu      sync.Mutex
	pending []PassUse
	seen    map[string]seenPass // ticket id → its pass, recorded or pending
}

// seenPass is a pass a node recorded used: when it expires, and whether a hold of it
// took seats.
type seenPass struct {
	expires time.Time
	held    bool
}

// note queues u unless this node recorded the same pass already, or only without
// seats while u's hold took some (a hold that failed, a node overloaded say, and
// was asked again with the pass).
func (l *passUseLog) note(u PassUse) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = make(map[string]seenPass)
	}
	if s, ok := l.seen[u.TicketID]; ok && (s.held || u.Seats <= 0) {
		return
	}
	l.seen[u.TicketID] = seenPass{expires: u.Expires, held: u.Seats > 0}
	l.pending = append(l.pending, u)
}

// take returns the uses queued since the last take, and forgets the expired passes.
func (l *passUseLog) take(now time.Time) []PassUse {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, s := range l.seen {
		if !now.Before(s.expires) {
			delete(l.seen, id)
		}
	}
	out := l.pending
	l.pending = nil
	return out
}

// maxPendingUses bounds the uses a node keeps while the store cannot be written; the
// ones dropped count as unused until their passes expire, which admits fewer fans,
// never more.
const maxPendingUses = 1 << 16

// giveBack queues uses again after a failed write.
func (l *passUseLog) giveBack(uses []PassUse) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(uses, l.pending...)
	if n := len(l.pending); n > maxPendingUses {
		l.pending = l.pending[n-maxPendingUses:]
	}
}

// passClaimsOf reads the claims of a pass already verified, without checking it again.
func passClaimsOf(pass string) (passClaims, bool) {
	_, body, _, ok := splitPass(pass)
	if !ok {
		return passClaims{}, false
	}
	return decodeClaims(body)
}

// HoldDone tells the service that a hold let through by CheckPass with pass has been
// answered, whatever the answer, and how many seats it took (0 when it was refused):
// the pass is used, and no longer counts against the event's seats left as a fan about
// to hold. It never blocks; the use is recorded within DefaultPassUseEvery.
func (s *Service) HoldDone(eventID, userID, pass string, seats int) {
	if pass == "" || s.cfg.Uses == nil {
		return
	}
	c, ok := passClaimsOf(pass)
	if !ok || c.EventID != eventID || c.UserID != userID {
		return
	}
	u := PassUse{EventID: c.EventID, TicketID: c.TicketID, Expires: time.Unix(c.Expires, 0), Seats: max(seats, 0)}
	u.Admitted = u.Expires.Add(-PassTTL)
	if c.Admitted > 0 {
		u.Admitted = time.UnixMilli(c.Admitted)
		u.HeldAfter = s.cfg.Clock.Now().Sub(u.Admitted)
	}
	s.uses.note(u)
}

// flushUses writes the pass uses queued since the last flush; they are kept for the
// next one when the write fails.
func (s *Service) flushUses(ctx context.Context) error {
	uses := s.uses.take(s.cfg.Clock.Now())
	if len(uses) == 0 {
		return nil
	}
	if err := s.cfg.Uses.UsePasses(ctx, uses); err != nil {
		s.uses.giveBack(uses)
		return err
	}
	return nil
}
