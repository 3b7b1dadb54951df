package classic

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// What both strategies' best available share: the retry while every candidate is being
// claimed, and the SOLD_OUT answer.

// bestSoldOut answers a best-available request that found too few seats free: SOLD_OUT,
// unless the request is a retry whose first attempt holds seats already (looked up on
// conn, the connection the request holds).
func bestSoldOut(ctx context.Context, conn batchSender, r actors.HoldRequest) (actors.Hold, error) {
	if r.IdempotencyKey != "" {
		s, err := lookupReply(ctx, conn, r.UserID, r.IdempotencyKey)
		if err != nil {
			return actors.Hold{}, err
		}
		if s.found {
			return s.hold(r.Hash())
		}
	}
	return actors.Hold{}, actors.ErrSoldOut
}

// How long best available keeps trying while every candidate is being claimed by
// someone else. Those claims end (commit or fail) within a transaction's time, and
// each one that commits shows in the next read; answering SOLD_OUT before they end
// would be wrong if they fail, and UNAVAILABLE sends the fan back for nothing. So it
// tries on as long as the section keeps changing, and gives up (UNAVAILABLE) after
// bestStall without a change, or bestPatience in all.
const (
	bestStall    = 2 * time.Second
	bestPatience = 10 * time.Second
)

// The errors of one best-available try that bestRetry tries again after.
var (
	// errStaleChoice means the seats chosen were taken by a transaction that committed
	// after the read the choice was made from: read again now.
	errStaleChoice = errors.New("best-available choice taken since it was read")
	// errContended means every candidate is being claimed by another request: wait for
	// those claims to end, then read again.
	errContended = errors.New("every best-available candidate is being claimed")
)

// contended is errContended with the number of seats the read found taken, by which
// bestRetry tells a section that moves from one that is stuck.
type contended struct{ taken int }

func (c contended) Error() string { return errContended.Error() }
func (c contended) Unwrap() error { return errContended }

// takenCount is how many of seats are not available.
func takenCount(seats []actors.Seat) int {
	n := 0
	for i := range seats {
		if seats[i].Status != actors.SeatAvailable {
			n++
		}
	}
	return n
}

// bestRetry runs once, one best-available try, until it returns something else than
// errStaleChoice or errContended (then with an exponential, jittered backoff from 1 ms
// up to 64 ms), within the patience above; then the answer is a retryable UNAVAILABLE.
// It reads the section's layout first, on the pool: never while holding a connection
// that the requests waiting for one read may be holding too.
func bestRetry(ctx context.Context, s *sections, sec sectionMeta, once func() (actors.Hold, error)) (actors.Hold, error) {
	if _, err := s.layout(ctx, sec.key); err != nil {
		return actors.Hold{}, err
	}
	began := time.Now()
	changed, taken := began, -1
	backoff := time.Millisecond
	trace := opTraceFrom(ctx)
	for attempt := 1; ; attempt++ {
		h, err := once()
		if !errors.Is(err, errStaleChoice) && !errors.Is(err, errContended) {
			return h, err
		}
		now := time.Now()
		var c contended
		if errors.As(err, &c) && c.taken != taken {
			changed, taken = now, c.taken
		}
		if now.Sub(changed) > bestStall || now.Sub(began) > bestPatience {
			return actors.Hold{}, actors.Unavailable("the best available seats are being claimed; retry")
		}
		if errors.Is(err, errContended) {
			trace.retry("every candidate is being claimed", attempt+1)
		} else {
			trace.retry("stale choice: seats taken since the read", attempt+1)
		}
		if errors.Is(err, errContended) {
			d := backoff/2 + time.Duration(rand.Int64N(int64(backoff)))
			backoff = min(2*backoff, 64*time.Millisecond)
			select {
			case <-ctx.Done():
				return actors.Hold{}, ctx.Err()
			case <-time.After(d):
			}
		}
	}
}
