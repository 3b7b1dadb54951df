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
	// The batch's events, numbered from 1 in the order they first appear.
	var events []string
	number := make(map[string]int, 1)
	for _, r := range reqs {
		if number[r.eventID] == 0 {
			events = append(events, r.eventID)
			number[r.eventID] = len(events)
		}
	}
	keys := make([]string, 0, 2+5*len(events)+len(reqs))
	keys = append(keys, w.roomsKey(), w.ticketsKey())
	args := make([]any, 0, 5+len(events)+5*len(reqs))
	var limit redis_rate.Limit
	if w.limiter != nil {
		limit = w.limiter.limit
	}
	args = append(args, waitingroom.PassTTL.Milliseconds(), limit.Burst, limit.Rate, limit.Period.Seconds(), len(events))
	for _, ev := range events {
		keys = append(keys, w.eventKey(ev, "users"), w.eventKey(ev, "q"), w.eventKey(ev, "pending"), w.eventKey(ev, "adm"),
			w.eventKey(ev, "replaced"))
		args = append(args, ev)
	}
	for _, r := range reqs {
		// A join charged to no limit names its rooms' hash in the limit's place, untouched.
		rateKey, charge := w.roomsKey(), 0
		if r.rateKey != "" && w.limiter != nil {
			rateKey, charge = r.rateKey, 1
		}
		keys = append(keys, rateKey)
		args = append(args, number[r.eventID], r.userID, r.newID, r.now.UnixMilli(), charge)
	}
	res, err := joinScript.Run(ctx, w.rdb, keys, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("a batch of %d joins: %w", len(reqs), err)
	}
	return decodeJoins(reqs, events, res)
}

// decodeJoins reads joinScript's answer to a batch of joins into events, each event's
// queue decoded once.
func decodeJoins(reqs []joinRequest, events []string, res []any) ([]joinAnswer, error) {
	var queues, joins []any
	if len(res) == 2 {
		queues, _ = res[0].([]any)
		joins, _ = res[1].([]any)
	}
	if len(queues) != len(events) || len(joins) != len(reqs) {
		return nil, fmt.Errorf("a batch of %d joins into %d rooms: %d answers of %d rooms", len(reqs), len(events), len(joins), len(queues))
	}
	qs := make([]waitingroom.QueueState, len(events))
	qerrs := make([]error, len(events))
	var d queueDecoder
	for i, ev := range events {
		one, _ := queues[i].([]any)
		if len(one) != 3 {
			qerrs[i] = fmt.Errorf("join the room of %s: unexpected queue %v", ev, one)
			continue
		}
		rawCfg, _ := one[0].(string)
		fields, _ := one[1].([]any)
		pending, _ := one[2].(int64)
		qs[i], qerrs[i] = d.decode(ev, rawCfg, fields, pending)
	}
	out := make([]joinAnswer, len(reqs))
	for i, r := range reqs {
		one, _ := joins[i].([]any)
		out[i] = decodeJoin(r, one, qs, qerrs)
	}
	return out, nil
}

// decodeJoin reads one join's answer of joinScript, given its batch's queues.
func decodeJoin(r joinRequest, res []any, qs []waitingroom.QueueState, qerrs []error) joinAnswer {
	if len(res) == 1 {
		return joinAnswer{err: &actors.Error{Code: actors.CodeNotFound, Message: "this event has no open waiting room"}}
	}
	code, _ := res[0].(int64)
	if len(res) == 2 && code == -2 {
		text, _ := res[1].(string)
		after, err := parseRetryAfter(text)
		if err != nil {
			return joinAnswer{err: fmt.Errorf("join the room of %s: %w", r.eventID, err)}
		}
		return joinAnswer{err: &RateLimitedError{After: after}}
	}
	ev, _ := res[len(res)-1].(int64)
	if len(res) != 4 || ev < 1 || ev > int64(len(qs)) || (code != 0 && code != 1) {
		return joinAnswer{err: fmt.Errorf("join the room of %s: unexpected answer %v", r.eventID, res)}
	}
	if err := qerrs[ev-1]; err != nil {
		return joinAnswer{err: err}
	}
	id, _ := res[1].(string)
	if code == 1 {
		// A new ticket: its record is the request's, with the position it was given.
		pos, _ := res[2].(int64)
		rec := waitingroom.TicketRecord{ID: id, EventID: r.eventID, UserID: r.userID, Position: pos, JoinedAt: fromUnixMs(r.now.UnixMilli())}
		return joinAnswer{rec: rec, created: true, q: qs[ev-1]}
	}
	rawRec, _ := res[2].(string)
	rec, err := decodeRecord(id, rawRec)
	if err != nil {
		return joinAnswer{err: err}
	}
	return joinAnswer{rec: rec, q: qs[ev-1]}
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
