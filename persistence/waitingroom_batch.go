package persistence

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// When thousands of fans join at one instant, or open their queue websockets, each
// request would make its own small round trip, and the node's pool of Redis
// connections, not Redis, would queue them. Concurrent joins, ticket reads and queue
// reads are coalesced instead (see coalescer): one script call, one HMGET or one
// transaction answers every request queued meanwhile, up to roomBatchMax of them.
const (
	// roomBatchMax bounds a batch, as the rate limiter's does: a batch of joins is one
	// script, and Redis serves nobody else while it runs.
	roomBatchMax     = 512
	roomBatchTimeout = 5 * time.Second
	// redisBatchesInFlight is how many batches of one kind (joins, ticket reads, queue
	// reads, rate-limit checks) may be in flight at once, each on its own pooled
	// connection: with one at a time, every request queued behind a batch waited for
	// it and then for its own, and under load a batch's round trip is mostly waiting
	// for a core, for the node and for Redis alike. Scripts still run one at a time in
	// Redis, each atomic, so overlapping batches change no answer.
	redisBatchesInFlight = 4
)

// joinRequest is one fan's join; joinAnswer is what it got.
type joinRequest struct {
	eventID, userID, newID string
	now                    time.Time
	// rateKey, when set, is the rate limit the join is charged to in its own step.
	rateKey string
}

type joinAnswer struct {
	rec     waitingroom.TicketRecord
	created bool
	q       waitingroom.QueueState
	err     error
}

// queueRead asks for an event's queue with at most max admissions above a position.
type queueRead struct {
	eventID string
	above   int64
	max     int
}

type queueAnswer struct {
	q   waitingroom.QueueState
	err error
}

type ticketAnswer struct {
	rec waitingroom.TicketRecord
	err error
}

// roomBatches are a WaitingRooms' coalescers.
type roomBatches struct {
	joins   *coalescer[joinRequest, joinAnswer]
	tickets *coalescer[string, ticketAnswer]
	queues  *coalescer[queueRead, queueAnswer]
}

func (w *WaitingRooms) newBatches() roomBatches {
	return roomBatches{
		joins: &coalescer[joinRequest, joinAnswer]{run: w.runJoins, max: roomBatchMax,
			timeout: roomBatchTimeout, inflight: redisBatchesInFlight},
		tickets: &coalescer[string, ticketAnswer]{run: w.runTickets, max: roomBatchMax,
			timeout: roomBatchTimeout, inflight: redisBatchesInFlight},
		queues: &coalescer[queueRead, queueAnswer]{run: w.runQueueReads, max: roomBatchMax,
			timeout: roomBatchTimeout, inflight: redisBatchesInFlight},
	}
}

// runJoins runs a batch of joins as one script call.
func (w *WaitingRooms) runJoins(ctx context.Context, reqs []joinRequest) ([]joinAnswer, error) {
	keys := make([]string, 0, 2+5*len(reqs))
	keys = append(keys, w.roomsKey(), w.ticketsKey())
	args := make([]any, 0, 4+5*len(reqs))
	var limit redis_rate.Limit
	if w.limiter != nil {
		limit = w.limiter.limit
	}
	args = append(args, waitingroom.PassTTL.Milliseconds(), limit.Burst, limit.Rate, limit.Period.Seconds())
	for _, r := range reqs {
		users := w.eventKey(r.eventID, "users")
		// A join charged to no limit names its users' hash in the limit's place, untouched.
		rateKey, charge := users, 0
		if r.rateKey != "" && w.limiter != nil {
			rateKey, charge = r.rateKey, 1
		}
		keys = append(keys, users, w.eventKey(r.eventID, "q"),
			w.eventKey(r.eventID, "pending"), w.eventKey(r.eventID, "adm"), rateKey)
		args = append(args, r.eventID, r.userID, r.newID, r.now.UnixMilli(), charge)
	}
	res, err := joinScript.Run(ctx, w.rdb, keys, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("a batch of %d joins: %w", len(reqs), err)
	}
	if len(res) != len(reqs) {
		return nil, fmt.Errorf("a batch of %d joins: %d answers", len(reqs), len(res))
	}
	out := make([]joinAnswer, len(reqs))
	var d queueDecoder
	for i, r := range reqs {
		one, _ := res[i].([]any)
		out[i] = decodeJoin(&d, r.eventID, one)
	}
	return out, nil
}

// decodeJoin reads one join's answer of joinScript.
func decodeJoin(d *queueDecoder, eventID string, res []any) joinAnswer {
	if len(res) == 1 {
		return joinAnswer{err: &actors.Error{Code: actors.CodeNotFound, Message: "this event has no open waiting room"}}
	}
	if code, _ := res[0].(int64); len(res) == 2 && code == -2 {
		text, _ := res[1].(string)
		after, err := parseRetryAfter(text)
		if err != nil {
			return joinAnswer{err: fmt.Errorf("join the room of %s: %w", eventID, err)}
		}
		return joinAnswer{err: &RateLimitedError{After: after}}
	}
	if len(res) != 6 {
		return joinAnswer{err: fmt.Errorf("join the room of %s: unexpected answer %v", eventID, res)}
	}
	created, _ := res[0].(int64)
	id, _ := res[1].(string)
	rawRec, _ := res[2].(string)
	rawCfg, _ := res[3].(string)
	fields, _ := res[4].([]any)
	pending, _ := res[5].(int64)
	rec, err := decodeRecord(id, rawRec)
	if err != nil {
		return joinAnswer{err: err}
	}
	q, err := d.decode(eventID, rawCfg, fields, pending)
	return joinAnswer{rec: rec, created: created == 1, q: q, err: err}
}

// runTickets reads a batch of tickets' records with one HMGET.
func (w *WaitingRooms) runTickets(ctx context.Context, ids []string) ([]ticketAnswer, error) {
	raws, err := w.rdb.HMGet(ctx, w.ticketsKey(), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("read %d tickets: %w", len(ids), err)
	}
	if len(raws) != len(ids) {
		return nil, fmt.Errorf("read %d tickets: %d answers", len(ids), len(raws))
	}
	out := make([]ticketAnswer, len(ids))
	for i, raw := range raws {
		s, ok := raw.(string)
		if !ok {
			out[i].err = &actors.Error{Code: actors.CodeNotFound, Message: "ticket not found"}
			continue
		}
		out[i].rec, out[i].err = decodeRecord(ids[i], s)
	}
	return out, nil
}

// runQueueReads reads a batch of queues in one transaction: every read sees the same
// instant, as a single read did.
func (w *WaitingRooms) runQueueReads(ctx context.Context, reads []queueRead) ([]queueAnswer, error) {
	type cmds struct {
		settings *redis.StringCmd
		fields   *redis.SliceCmd
		pending  *redis.IntCmd
		adm      *redis.StringSliceCmd
	}
	cs := make([]cmds, len(reads))
	_, err := w.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i, r := range reads {
			c := &cs[i]
			c.settings = p.HGet(ctx, w.roomsKey(), r.eventID)
			c.fields = p.HMGet(ctx, w.eventKey(r.eventID, "q"), queueFields...)
			c.pending = p.LLen(ctx, w.eventKey(r.eventID, "pending"))
			if r.max != 0 {
				by := &redis.ZRangeBy{Min: "(" + strconv.FormatInt(r.above, 10), Max: "+inf"}
				if r.max > 0 {
					by.Count = int64(r.max)
				}
				c.adm = p.ZRangeByScore(ctx, w.eventKey(r.eventID, "adm"), by)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read %d queues: %w", len(reads), err)
	}
	out := make([]queueAnswer, len(reads))
	var d queueDecoder
	for i, r := range reads {
		c := &cs[i]
		if err := c.settings.Err(); err != nil && !errors.Is(err, redis.Nil) {
			out[i].err = fmt.Errorf("read the queue of %s: %w", r.eventID, err)
			continue
		}
		q, err := d.decode(r.eventID, c.settings.Val(), c.fields.Val(), c.pending.Val())
		if err == nil && c.adm != nil {
			for _, m := range c.adm.Val() {
				a, aerr := decodeAdmission(m)
				if aerr != nil {
					err = fmt.Errorf("queue of %s: %w", r.eventID, aerr)
					break
				}
				q.Admissions = append(q.Admissions, a)
			}
		}
		out[i] = queueAnswer{q: q, err: err}
	}
	return out, nil
}
