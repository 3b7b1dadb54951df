package classic

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketblitz/ticketblitz/actors"
)

// seatReadTimeout bounds one coalesced read, which serves several callers.
const seatReadTimeout = 5 * time.Second

// seatReadShare is the most requests one read serves. The requests that share a read
// rank the same candidates and step around each other's choices, so a read must not
// serve more of them than there are candidates (DefaultCandidates) to go round.
const seatReadShare = 32

// seatReads coalesces best available's reads of a section's committed seats. In a rush
// every best-available request reads the same section; one read per round trip, shared
// by every request that arrived while the previous read was in flight, costs the
// database one scan of the section instead of one per request. No request is answered
// with a read that began before it arrived: a request that arrives during a read waits
// for the next one; at most seatReadShare requests share one read. The seats returned
// are shared and must not be modified.
type seatReads struct {
	sections *sections
	mu       sync.Mutex
	keys     map[actors.SectionKey]*seatReadQueue
}

// seatReadQueue is one section's reads: whether one is in flight, and who waits for the
// next.
type seatReadQueue struct {
	busy    bool
	pending []*seatReader
}

// seatReader is one request waiting for a read. lead is closed when it is to run the
// next read for everyone queued; done when its answer is in.
type seatReader struct {
	lead, done chan struct{}
	seats      []actors.Seat
	err        error
}

func newSeatReads(s *sections) *seatReads {
	return &seatReads{sections: s, keys: map[actors.SectionKey]*seatReadQueue{}}
}

// read returns the section's committed seats, in row and number order, as read after
// the call began: layout from the cache, statuses (free or taken) from the database.
// When it is this call's turn to read for everyone queued, it reads on conn, the
// connection the caller holds for the transaction that follows.
func (r *seatReads) read(ctx context.Context, key actors.SectionKey, conn batchSender) ([]actors.Seat, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := &seatReader{lead: make(chan struct{}), done: make(chan struct{})}
	r.mu.Lock()
	q := r.keys[key]
	if q == nil {
		q = &seatReadQueue{}
		r.keys[key] = q
	}
	q.pending = append(q.pending, w)
	if !q.busy {
		q.busy = true
		close(w.lead)
	}
	r.mu.Unlock()
	select {
	case <-w.lead:
		r.run(ctx, key, q, conn)
	case <-w.done:
	case <-ctx.Done():
		r.abandon(key, q, w, conn)
		return nil, ctx.Err()
	}
	select {
	case <-w.done:
		return w.seats, w.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// abandon takes a request that gave up out of the queue; if it had just been made the
// one to run the next read, it runs it on its way out, on its connection.
func (r *seatReads) abandon(key actors.SectionKey, q *seatReadQueue, w *seatReader, conn batchSender) {
	r.mu.Lock()
	for i, p := range q.pending {
		if p == w {
			q.pending = append(q.pending[:i], q.pending[i+1:]...)
			break
		}
	}
	r.mu.Unlock()
	select {
	case <-w.lead:
		r.run(context.Background(), key, q, conn)
	default:
	}
}

// run reads the section once for everyone queued, then hands the next read to the first
// request queued meanwhile, or marks the section idle.
func (r *seatReads) run(ctx context.Context, key actors.SectionKey, q *seatReadQueue, db batchSender) {
	r.mu.Lock()
	n := min(len(q.pending), seatReadShare)
	batch := append([]*seatReader(nil), q.pending[:n]...)
	q.pending = append(q.pending[:0], q.pending[n:]...)
	r.mu.Unlock()
	if len(batch) > 0 {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), seatReadTimeout)
		seats, err := r.load(rctx, key, db)
		cancel()
		for _, w := range batch {
			w.seats, w.err = seats, err
			close(w.done)
		}
	}
	r.mu.Lock()
	if len(q.pending) == 0 {
		q.busy = false
		delete(r.keys, key)
	} else {
		close(q.pending[0].lead)
	}
	r.mu.Unlock()
}

// load reads which of the section's seats are taken and lays them over the cached
// layout.
func (r *seatReads) load(ctx context.Context, key actors.SectionKey, db batchSender) ([]actors.Seat, error) {
	layout, err := r.sections.layout(ctx, key)
	if err != nil {
		return nil, err
	}
	var taken []string
	b := &pgx.Batch{}
	queueTakenSeats(b, key, &taken)
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return layout.withTaken(taken), nil
}
