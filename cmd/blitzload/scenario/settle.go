package scenario

import (
	"context"
	"sync/atomic"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// settleAttempts bounds how many times settleHolds asks about one hold.
const settleAttempts = 8

// holdAsk is a hold request as a fan sends it, each attempt the same: the event, the
// body, the idempotency key and the pass (empty without a room).
type holdAsk struct {
	eventID string
	req     api.HoldRequest
	key     string
	pass    string
}

// settleTally counts what settling found: holds the server had made (or made now),
// holds it refused, and holds still without an answer.
type settleTally struct {
	asked, held, refused, unknown int
}

// settleHolds asks again, once the sale is over, for every hold whose last attempt a
// fan got no answer to: the same request with the same idempotency key (and pass),
// until it is answered, as a client that lost its answer would. The server answers from
// what it decided then, or decides now; the answer goes into the fans' records like any
// other, so the audit knows the fan's holds.
//
// Why the last attempt: a 503 says nothing was decided for the key, so a hold whose
// attempts after its last silent one were all answered 503 must have no hold from it,
// and is left for the phantom-hold rule to judge. An attempt that went unanswered after
// a 503 may have been decided, and nothing the server does can tell the fan which
// (the 503 was true when it was given): that hold is as unknown as one never answered,
// and a client asks again.
func settleHolds(ctx context.Context, fans []*fan) settleTally {
	var asked, held, refused, unknown atomic.Int64
	parallelFor(len(fans), 64, func(i int) {
		f := fans[i]
		for _, u := range f.unsettled {
			asked.Add(1)
			_, r, _ := f.sendHold(ctx, u, settleAttempts)
			switch {
			case r.OK() && r.Err == nil:
				held.Add(1)
			case r.Retryable():
				unknown.Add(1)
			default:
				refused.Add(1)
			}
		}
		f.unsettled = nil
	})
	return settleTally{asked: int(asked.Load()), held: int(held.Load()), refused: int(refused.Load()), unknown: int(unknown.Load())}
}

// note records the tally among a result's facts.
func (t settleTally) note(res *Result) {
	res.fact("holds settled", "%d whose last attempt went unanswered asked again with their keys after the sale: %d held, %d refused, %d still unknown",
		t.asked, t.held, t.refused, t.unknown)
	res.num("settled_holds", float64(t.asked))
	res.num("settled_still_unknown", float64(t.unknown))
}
