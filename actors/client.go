package actors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	lru "github.com/hashicorp/golang-lru/v2"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// Client is the small API the rest of TicketBlitz uses to reach section actors, on
// whichever node they live. It retries what may be retried (the section is moving, a
// batch was fenced, a request timed out with unknown outcome) with backoff and the same
// idempotency key, so a caller sees a definite answer or ErrUnavailable, never a
// silent double hold.
type Client struct {
	cluster *protocluster.Cluster
	dir     Directory
	cfg     ClientConfig
	located *lru.Cache[string, location]
	left    *departures
	// lookup is the cluster's identity lookup (Cluster.Get); tests replace it.
	lookup func(identity, kind string) *actor.PID
	// timers are the attempts' timers, reused.
	timers timerPool
	// replies is the process every attempt's answer comes back to.
	replies *replies
}

// location is where a hold or order lives and whose it is; both never change.
type location struct {
	key   SectionKey
	owner string
}

// newLocationCache is the client's cache of hold and order locations, bounded by
// cfg.LocateCache entries: the least recently used leave it.
func newLocationCache(cfg ClientConfig) (*lru.Cache[string, location], error) {
	return lru.New[string, location](cfg.LocateCache)
}

// NewClient returns a Client sending through c and routing holds and orders with dir.
func NewClient(c *protocluster.Cluster, dir Directory, cfg ClientConfig) (*Client, error) {
	if c == nil || dir == nil {
		return nil, errors.New("actors client: cluster and directory are required")
	}
	cfg = cfg.withDefaults()
	located, err := newLocationCache(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{cluster: c, dir: dir, cfg: cfg, located: located, left: watchDepartures(c, cfg.Logger), lookup: c.Get,
		replies: newReplies(c.ActorSystem.ProcessRegistry)}, nil
}

// Close stops watching the cluster's topology and removes the client's reply process.
func (c *Client) Close() {
	c.left.stop()
	c.replies.stop()
}

// Hold places a hold. Without an idempotency key the client makes one up, so its own
// retries cannot hold twice.
func (c *Client) Hold(ctx context.Context, r HoldRequest) (Hold, error) {
	if err := r.Validate(); err != nil {
		return Hold{}, err
	}
	hash := r.Hash()
	if r.IdempotencyKey != "" {
		if rep, ok, err := c.replay(ctx, r.UserID, r.IdempotencyKey, hash); ok || err != nil {
			return replayedHold(rep, err)
		}
	} else {
		r.IdempotencyKey = NewID("auto_")
	}
	cmd, err := c.holdCommand(ctx, &r, hash)
	if err != nil {
		return Hold{}, err
	}
	key := SectionKey{r.EventID, r.SectionID}
	rep, err := c.request(ctx, key, cmd, storedAnswer{user: r.UserID, key: r.IdempotencyKey, hash: hash})
	if err != nil {
		return Hold{}, err
	}
	return c.heldIn(key, rep), nil
}

// replayedHold is the hold of a stored answer rep, or its refusal err. Like the
// functions below, it is kept out of Hold's frame, which runs on an HTTP connection's
// goroutine (see backOff).
//
//go:noinline
func replayedHold(rep *Reply, err error) (Hold, error) {
	if err != nil {
		return Hold{}, err
	}
	return HoldFromMsg(rep.GetHold()), nil
}

// holdCommand is the command placing r, whose request hash is hash.
//
//go:noinline
func (c *Client) holdCommand(ctx context.Context, r *HoldRequest, hash []byte) (*HoldCommand, error) {
	elsewhere, err := c.dir.TicketsElsewhere(ctx, r.EventID, r.SectionID, r.UserID)
	if err != nil {
		return nil, fmt.Errorf("count tickets: %w", err)
	}
	return &HoldCommand{
		UserId: r.UserID, Seats: slices.Clone(r.Seats), Quantity: int32(r.Quantity), Accessible: r.Accessible,
		IdempotencyKey: r.IdempotencyKey, RequestHash: hash, TicketsElsewhere: int32(elsewhere),
	}, nil
}

// heldIn is the hold of the reply rep of section key, whose location it remembers.
//
//go:noinline
func (c *Client) heldIn(key SectionKey, rep *Reply) Hold {
	h := HoldFromMsg(rep.GetHold())
	c.located.Add(h.ID, location{key: key, owner: h.UserID})
	return h
}

// Release gives a hold's seats back.
func (c *Client) Release(ctx context.Context, holdID, userID string) (Hold, error) {
	key, err := c.locateHold(ctx, holdID, userID)
	if err != nil {
		return Hold{}, err
	}
	idem := NewID("auto_")
	rep, err := c.request(ctx, key, &ReleaseCommand{HoldId: holdID, UserId: userID, IdempotencyKey: idem},
		storedAnswer{user: userID, key: idem, hash: releaseHash(holdID)})
	if errors.Is(err, errNotInSection) {
		err = c.finishedHold(ctx, holdID, userID)
	}
	if err != nil {
		return Hold{}, err
	}
	return HoldFromMsg(rep.GetHold()), nil
}

// Extend pushes a hold's expiry out by one hold TTL, up to its lifetime cap.
func (c *Client) Extend(ctx context.Context, holdID, userID string) (Hold, error) {
	key, err := c.locateHold(ctx, holdID, userID)
	if err != nil {
		return Hold{}, err
	}
	idem := NewID("auto_")
	rep, err := c.request(ctx, key, &ExtendCommand{HoldId: holdID, UserId: userID, IdempotencyKey: idem},
		storedAnswer{user: userID, key: idem, hash: extendHash(holdID)})
	if errors.Is(err, errNotInSection) {
		err = c.finishedHold(ctx, holdID, userID)
	}
	if err != nil {
		return Hold{}, err
	}
	return HoldFromMsg(rep.GetHold()), nil
}

// Confirm pays for a hold and turns it into an order. The payment runs by the deadline of
// the attempt that started it (ctx's deadline, or AttemptTimeout, whichever comes first);
// a retry that finds it still running waits for it.
func (c *Client) Confirm(ctx context.Context, r ConfirmRequest) (Order, error) {
	hash := r.Hash()
	if r.IdempotencyKey != "" {
		if rep, ok, err := c.replay(ctx, r.UserID, r.IdempotencyKey, hash); ok || err != nil {
			if err != nil {
				return Order{}, err
			}
			return OrderFromMsg(rep.GetOrder()), nil
		}
	} else {
		r.IdempotencyKey = NewID("auto_")
	}
	key, err := c.locateHold(ctx, r.HoldID, r.UserID)
	if err != nil {
		return Order{}, err
	}
	rep, err := c.request(ctx, key, &ConfirmCommand{
		HoldId: r.HoldID, UserId: r.UserID, PaymentToken: r.PaymentToken,
		IdempotencyKey: r.IdempotencyKey, RequestHash: hash,
	}, storedAnswer{user: r.UserID, key: r.IdempotencyKey, hash: hash})
	if errors.Is(err, errNotInSection) {
		err = c.finishedHold(ctx, r.HoldID, r.UserID)
	}
	if err != nil {
		return Order{}, err
	}
	o := OrderFromMsg(rep.GetOrder())
	c.located.Add(o.ID, location{key: key, owner: o.UserID})
	return o, nil
}

// Cancel cancels a confirmed order; its seats become available again. Admins may
// cancel anyone's order.
func (c *Client) Cancel(ctx context.Context, orderID, userID string, admin bool) (Order, error) {
	loc, err := c.locate(ctx, orderID, c.dir.LocateOrder)
	if err != nil {
		return Order{}, err
	}
	key := loc.key
	if loc.owner != userID && !admin {
		return Order{}, ErrForbidden
	}
	idem := NewID("auto_")
	rep, err := c.request(ctx, key, &CancelCommand{OrderId: orderID, UserId: userID, Admin: admin, IdempotencyKey: idem},
		storedAnswer{user: userID, key: idem, hash: cancelHash(orderID)})
	if errors.Is(err, errNotInSection) {
		err = c.finishedOrder(ctx, orderID, userID, admin)
	}
	if err != nil {
		return Order{}, err
	}
	return OrderFromMsg(rep.GetOrder()), nil
}

// Status asks a section actor for its live state.
func (c *Client) Status(ctx context.Context, key SectionKey) (*StatusReply, error) {
	res, err := c.cluster.Request(key.Identity(), SectionKindName, &StatusQuery{},
		protocluster.WithTimeout(c.cfg.AttemptTimeout), protocluster.WithRetryCount(1))
	if err != nil {
		return nil, Unavailable("section did not answer")
	}
	st, ok := res.(*StatusReply)
	if !ok {
		return nil, Unavailable(fmt.Sprintf("unexpected answer %T", res))
	}
	return st, nil
}

// Wake asks a section to expire the holds that are due, activating it when it is not
// active, and returns once the expiry is written. It makes one attempt, bounded by ctx and
// the attempt timeout: the expiry reminder that calls it asks again on its next round
// while the section's expiry is still due.
func (c *Client) Wake(ctx context.Context, key SectionKey) error {
	timeout := c.cfg.AttemptTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if timeout <= 0 {
		return Unavailable("no time left to wake the section")
	}
	res, err := c.cluster.Request(key.Identity(), SectionKindName, &WakeCommand{},
		protocluster.WithTimeout(timeout), protocluster.WithRetryCount(1))
	if err != nil {
		return Unavailable("section did not answer the wake: " + err.Error())
	}
	rep, ok := res.(*Reply)
	if !ok {
		return Unavailable(fmt.Sprintf("unexpected answer %T", res))
	}
	return rep.Err()
}

func (c *Client) locateHold(ctx context.Context, holdID, userID string) (SectionKey, error) {
	loc, err := c.locate(ctx, holdID, c.dir.LocateHold)
	if err != nil {
		return SectionKey{}, err
	}
	if loc.owner != userID {
		return SectionKey{}, ErrForbidden
	}
	return loc.key, nil
}

// locate finds a hold's or order's section and owner, from the cache or the directory.
func (c *Client) locate(ctx context.Context, id string, lookup func(context.Context, string) (SectionKey, string, error)) (location, error) {
	if loc, ok := c.located.Get(id); ok {
		return loc, nil
	}
	key, owner, err := lookup(ctx, id)
	if err != nil {
		return location{}, err
	}
	loc := location{key: key, owner: owner}
	c.located.Add(id, loc)
	return loc, nil
}

// finishedHold answers a command about a hold its section no longer holds in memory,
// from the hold as committed.
func (c *Client) finishedHold(ctx context.Context, holdID, userID string) error {
	h, err := c.dir.GetHold(ctx, holdID)
	if err != nil {
		return err
	}
	return finishedHoldErr(h, userID)
}

// finishedHoldErr is the refusal of a command by userID about h, a hold its section no
// longer holds in memory.
func finishedHoldErr(h Hold, userID string) error {
	switch {
	case h.UserID != userID:
		return ErrForbidden
	case h.Status == HoldExpired:
		return ErrHoldExpired
	case h.Status == HoldReleased || h.Status == HoldConfirmed:
		return ErrHoldNotActive
	}
	return Unavailable("the hold's section has not caught up with it; retry")
}

// finishedOrder answers a command about an order its section no longer holds in memory,
// from the order as committed.
func (c *Client) finishedOrder(ctx context.Context, orderID, userID string, admin bool) error {
	o, err := c.dir.GetOrder(ctx, orderID)
	if err != nil {
		return err
	}
	return finishedOrderErr(o, userID, admin)
}

// finishedOrderErr is the refusal of a cancel by userID of o, an order its section no
// longer holds in memory.
func finishedOrderErr(o Order, userID string, admin bool) error {
	switch {
	case o.UserID != userID && !admin:
		return ErrForbidden
	case o.Status == OrderCancelled:
		return ErrOrderCancelled
	}
	return Unavailable("the order's section has not caught up with it; retry")
}

// replay returns the stored first answer to (user, key), from any section.
func (c *Client) replay(ctx context.Context, userID, key string, hash []byte) (*Reply, bool, error) {
	rec, ok, err := c.dir.Idempotent(ctx, userID, key)
	if err != nil || !ok {
		return nil, false, err
	}
	if !bytes.Equal(rec.RequestHash, hash) {
		return nil, false, ErrIdempotencyConflict
	}
	rep, err := DecodeReply(rec.Response)
	if err != nil {
		return nil, false, fmt.Errorf("decode stored reply: %w", err)
	}
	return rep, true, rep.Err()
}

// storedAnswer names the idempotency key a command carries, and the hash its first
// answer is stored with.
type storedAnswer struct {
	user, key string
	hash      []byte
}

// request sends cmd, which is its own (its first attempt sends cmd itself), to the
// section's actor and retries retryable failures with
// exponential backoff and jitter until an answer, the attempts run out, or ctx ends.
// Every retry first looks its idempotency key up in the store: an earlier attempt may
// have committed in an activation that is gone (fenced, stopped on an unknown commit
// outcome, on a node that left), and the store is where its answer is sure to be.
//
// Each attempt carries a deadline: AttemptTimeout from its start, or ctx's deadline when
// that comes first. The section never decides a command after its deadline, and answers
// one it decided in time with the real outcome once its batch ends (see tooLate).
//
// An UNAVAILABLE answer means nothing was decided, now or later: no copy of the command
// was, nor will be. request makes it true this way. A copy answered EXPIRED or
// OVERLOADED, or undone with its batch, was not decided; but a copy whose answer did not
// come (the attempt timed out, or the topology changed under it) or said its batch's
// outcome is unknown may have been. Before giving up on such a command, request asks its
// section again for its fate (askFate): the same command with the same idempotency key and
// a deadline already passed. The section handles it after every copy sent before it (one
// mailbox, first in first out) and answers it from the first copy's decision, once that
// is written, or EXPIRED when no copy was decided. Only EXPIRED then ends in
// UNAVAILABLE. It asks for at most AnswerGrace, even past ctx's deadline: an answer late
// but true is better than a 503 that lies. What is left: a section that does not answer
// even that within AnswerGrace (its node stalled or died with the batch in flight, the
// store slower than twice its CommitTimeout), and nodes whose clocks differ by more than
// the time an attempt's answer travels. Then request logs a warning and answers
// UNAVAILABLE; a hold decided after all is then the fan's, and GET /api/v1/me/holds
// shows it.
func (c *Client) request(ctx context.Context, key SectionKey, cmd proto.Message, idem storedAnswer) (_ *Reply, err error) {
	identity := key.Identity()
	// retriedAfter is the membership change that first cut an attempt short; it is told
	// how the request ended, for its one log line.
	var retriedAfter *topologyChange
	defer func() { retriedAfter.settle(err) }()
	backoff := c.cfg.BaseBackoff
	var last error
	// unsettled is the latest deadline of the attempts that may have been decided
	// without their answer reaching this call (zero: none).
	var unsettled time.Time
	for attempt := 1; attempt <= c.cfg.Attempts; attempt++ {
		if attempt > 1 && !c.backOff(ctx, identity, attempt, &backoff, last) {
			break
		}
		deadline := time.Now().Add(c.cfg.AttemptTimeout)
		if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
			deadline = dl
		}
		if !deadline.After(time.Now()) {
			break
		}
		if attempt > 1 {
			if rep, done, err := c.lookupBeforeRetry(ctx, identity, idem); done {
				return rep, err
			}
		}
		var msg proto.Message
		if attempt == 1 {
			msg = stampDeadline(cmd, deadline) // nothing sent yet: cmd itself
		} else {
			msg = withDeadline(cmd, deadline) // an earlier attempt's section may still read cmd
		}
		res, cut, err := c.attempt(identity, msg, time.Until(deadline))
		if cut != nil && retriedAfter == nil {
			retriedAfter = cut
			cut.retry()
		}
		if err != nil { // no answer: the command may have been decided
			last, unsettled = err, deadline
			continue
		}
		rep, next, err := judgeAnswer(res)
		switch next {
		case answerFinal:
			return rep, err
		case answerStop:
			last = err
		case answerRetry:
			// A batch undone or fenced wrote nothing; one whose outcome is unknown may have.
			last, unsettled = err, deadline
			continue
		}
		break
	}
	return c.requestFailed(ctx, identity, cmd, last, unsettled, idem)
}

// The hot path of a request (request, attempt) runs on the goroutine of an HTTP
// connection: a request that outgrows the stack the goroutine has copies it to one
// twice the size, and the collector halves it again once the connection is idle. What a
// request needs only when an attempt failed (the backoff, its log lines, the lookup of
// the key before a retry, the final errors) is in the functions below, kept out of
// request's frame: an answered attempt calls only judgeAnswer.

// backOff waits the backoff before the attempt-th attempt, doubling *backoff for the
// next; last is the failure retried. It returns false when ctx ended first.
//
//go:noinline
func (c *Client) backOff(ctx context.Context, identity string, attempt int, backoff *time.Duration, last error) bool {
	wait := *backoff/2 + rand.N(*backoff/2+1)
	*backoff = min(*backoff*2, c.cfg.MaxBackoff)
	c.cfg.Logger.Debug("retrying section request", zap.String("section", identity), zap.Int("attempt", attempt), zap.Error(last))
	select {
	case <-ctx.Done():
		return false
	case <-time.After(wait):
		return true
	}
}

// lookupBeforeRetry looks the command's idempotency key up in the store before a
// retry or a question about its fate (askFate): an earlier attempt may have been
// decided. done is true when that ends the request, with rep and err its answer.
//
//go:noinline
func (c *Client) lookupBeforeRetry(ctx context.Context, identity string, idem storedAnswer) (rep *Reply, done bool, err error) {
	rep, ok, err := c.replay(ctx, idem.user, idem.key, idem.hash)
	switch {
	case ok:
		return rep, true, err
	case errors.Is(err, ErrIdempotencyConflict):
		return nil, true, err
	case err != nil: // the store is not answering: the section may still know the key
		c.cfg.Logger.Debug("idempotency lookup before a retry failed", zap.String("section", identity), zap.Error(err))
	}
	return nil, false, nil
}

// answerNext is what a request does after an attempt's answer.
type answerNext int

const (
	// answerFinal ends the request with the answer.
	answerFinal answerNext = iota
	// answerRetry tries again: the answer is a retryable refusal, and the command may
	// have been decided (a batch whose outcome is unknown).
	answerRetry
	// answerStop gives up: the section refused the command as it arrived (overloaded).
	answerStop
)

// judgeAnswer reads an attempt's answer res: the reply and its refusal, and what the
// request does next.
//
//go:noinline
func judgeAnswer(res any) (*Reply, answerNext, error) {
	rep, ok := res.(*Reply)
	if !ok {
		return nil, answerFinal, Unavailable(fmt.Sprintf("unexpected answer %T", res))
	}
	rerr := rep.Err()
	switch {
	case rerr == nil:
		return rep, answerFinal, nil
	case errors.Is(rerr, errExpired):
		// Handled after every earlier copy, and none of them was decided.
		return nil, answerFinal, Unavailable("the section could not decide the request in time; nothing was decided")
	case errors.Is(rerr, errOverloaded):
		// Refused as it arrived: it says nothing of earlier copies still queued.
		return nil, answerStop, rerr
	}
	if e, _ := AsError(rerr); !e.Retryable() {
		return nil, answerFinal, rerr
	}
	return nil, answerRetry, rerr
}

// requestFailed ends a request whose attempts gave no final answer: last is the last
// attempt's failure, unsettled the latest deadline of the attempts that may have been
// decided unanswered (zero: none), whose fate it then asks.
//
//go:noinline
func (c *Client) requestFailed(ctx context.Context, identity string, cmd proto.Message, last error, unsettled time.Time, idem storedAnswer) (*Reply, error) {
	if !unsettled.IsZero() {
		return c.askFate(ctx, identity, cmd, unsettled, idem)
	}
	if errors.Is(last, errOverloaded) {
		return nil, Unavailable("the section is overloaded; nothing was decided; retry later")
	}
	c.cfg.Logger.Warn("section request failed", zap.String("section", identity), zap.Error(last))
	return nil, Unavailable("section did not answer in time; nothing was decided; retry")
}

// errTopologyChanged ends an attempt early: the topology changed while it waited, and the
// section may have lived on a member that left, or be moving to one that joined. The retry (same idempotency key) looks it up afresh;
// if it lived elsewhere after all, the actor answers the retry from its first answer.
var errTopologyChanged = Unavailable("the cluster topology changed while the request waited; retrying")
