package actors

import (
	"context"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// withDeadline returns a copy of cmd carrying deadline. Each attempt sends its own copy:
// a section on this node reads the message itself, not a serialized one. The copy
// shares cmd's seats and request hash, which neither the client nor the section
// changes; it is made field by field rather than by proto.Clone, which walks the
// message by reflection on every attempt (TestWithDeadlineCopiesEveryField keeps the
// two in step).
//
// A request's first attempt does not copy: it sends cmd itself, stamped (stampDeadline),
// since nothing has been sent of it yet; only the copies of later attempts and of the
// question about its fate are made here.
func withDeadline(cmd proto.Message, deadline time.Time) proto.Message {
	us := deadline.UnixMicro()
	switch c := cmd.(type) {
	case *HoldCommand:
		return &HoldCommand{
			UserId: c.UserId, Seats: c.Seats, Quantity: c.Quantity, Accessible: c.Accessible,
			IdempotencyKey: c.IdempotencyKey, RequestHash: c.RequestHash,
			TicketsElsewhere: c.TicketsElsewhere, DeadlineUnixMicro: us,
		}
	case *ReleaseCommand:
		return &ReleaseCommand{HoldId: c.HoldId, UserId: c.UserId, IdempotencyKey: c.IdempotencyKey, DeadlineUnixMicro: us}
	case *ExtendCommand:
		return &ExtendCommand{HoldId: c.HoldId, UserId: c.UserId, IdempotencyKey: c.IdempotencyKey, DeadlineUnixMicro: us}
	case *ConfirmCommand:
		return &ConfirmCommand{
			HoldId: c.HoldId, UserId: c.UserId, PaymentToken: c.PaymentToken,
			IdempotencyKey: c.IdempotencyKey, RequestHash: c.RequestHash, DeadlineUnixMicro: us,
		}
	case *CancelCommand:
		return &CancelCommand{OrderId: c.OrderId, UserId: c.UserId, Admin: c.Admin, IdempotencyKey: c.IdempotencyKey, DeadlineUnixMicro: us}
	}
	return proto.Clone(cmd)
}

// stampDeadline sets deadline on cmd itself, which nothing may have read yet (a
// request's first attempt; see withDeadline), and returns it; a command of another type
// is copied with the deadline as withDeadline copies it.
func stampDeadline(cmd proto.Message, deadline time.Time) proto.Message {
	us := deadline.UnixMicro()
	switch c := cmd.(type) {
	case *HoldCommand:
		c.DeadlineUnixMicro = us
	case *ReleaseCommand:
		c.DeadlineUnixMicro = us
	case *ExtendCommand:
		c.DeadlineUnixMicro = us
	case *ConfirmCommand:
		c.DeadlineUnixMicro = us
	case *CancelCommand:
		c.DeadlineUnixMicro = us
	default:
		return withDeadline(cmd, deadline)
	}
	return cmd
}

// askFate learns the fate of a command some of whose attempts, the last with deadline
// last, may have been decided without their answer reaching the caller. It looks the
// command's idempotency key up in the store, then sends the command again with deadline
// last: the section handles it after every earlier copy and answers it from the decision
// of one of them, once written, or EXPIRED when none was decided (see Client.request).
// A section that is overloaded, moving or silent is asked again, with backoff, for at
// most AnswerGrace from now or from last, whichever is later, whatever ctx's deadline
// says.
func (c *Client) askFate(ctx context.Context, identity string, cmd proto.Message, last time.Time, idem storedAnswer) (*Reply, error) {
	end := time.Now().Add(c.cfg.AnswerGrace)
	if late := last.Add(c.cfg.AnswerGrace); late.After(end) {
		end = late
	}
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), end)
	defer cancel()
	probe := withDeadline(cmd, last)
	backoff := c.cfg.BaseBackoff
	var why error
	for {
		if rep, done, err := c.lookupBeforeRetry(ctx, identity, idem); done {
			return rep, err
		}
		timeout := time.Until(end)
		if timeout <= 0 {
			break
		}
		res, _, err := c.attempt(identity, probe, timeout)
		why = err
		if err == nil {
			// A section overloaded now (answerStop) may still decide an earlier copy:
			// asked again, like a retryable refusal.
			rep, next, rerr := judgeAnswer(res)
			if next == answerFinal {
				return rep, rerr
			}
			why = rerr
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff = min(backoff*2, c.cfg.MaxBackoff)
		if time.Until(end) <= wait {
			break
		}
		time.Sleep(wait)
	}
	c.cfg.Logger.Warn("the fate of a section request is unknown: it may have been decided", zap.String("section", identity),
		zap.String("user", idem.user), zap.String("idempotency_key", idem.key), zap.Error(why))
	return nil, Unavailable("the section did not answer in time; retry")
}
