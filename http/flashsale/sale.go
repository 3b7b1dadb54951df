package flashsale

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// saleState is one running or finished sale: its request and its progress.
type saleState struct {
	id   string
	req  Request
	key  actors.SectionKey
	kind actors.SectionKind
	seed uint64
	done atomic.Bool

	attempts atomic.Int64
	holds    atomic.Int64
	orders   atomic.Int64
	refusals atomic.Int64

	// The seat map is shared by the sale's fans and re-read when it is older than
	// seatMapFreshness, so that a crowd does not turn into a stream of reads.
	mapMu     sync.Mutex
	mapAt     time.Time
	available []string
}

// availableSeats returns the seats the (recent) seat map shows available; nil when the
// map cannot be read, and the fan then asks for best available instead.
func (s *saleState) availableSeats(ctx context.Context, cat Catalog) []string {
	s.mapMu.Lock()
	defer s.mapMu.Unlock()
	if time.Since(s.mapAt) < seatMapFreshness {
		return s.available
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	m, err := cat.SeatMap(ctx, s.key.EventID, s.key.SectionID)
	if err != nil {
		return nil
	}
	s.available = s.available[:0:0]
	for _, st := range m.Seats {
		if st.Status == actors.SeatAvailable {
			s.available = append(s.available, st.ID)
		}
	}
	s.mapAt = time.Now()
	return s.available
}

func (s *saleState) status() Status {
	st := Status{
		ID: s.id, EventID: s.req.EventID, SectionID: s.req.SectionID, Fans: s.req.Fans, Seconds: s.req.Seconds,
		Status:   statusRunning,
		Attempts: s.attempts.Load(), Holds: s.holds.Load(), Orders: s.orders.Load(), Refusals: s.refusals.Load(),
	}
	if s.done.Load() {
		st.Status = statusDone
	}
	return st
}
