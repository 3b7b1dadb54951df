package persistence

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// oneJoinScript is a join as one step of its own, written plainly: every read and write
// at the join's turn. The batch script must store exactly what running these in the
// batch's order stores.
// KEYS: rooms, tickets, users, queue, pending, admissions, replaced tickets.
// ARGV: pass lifetime (ms), event id, user id, new ticket id, now (unix ms).
// It answers {created (1, 0), ticket id, record} or {-1}.
var oneJoinScript = redis.NewScript(`
local passMs, ev, user, newID, now = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local cfgRaw = redis.call('HGET', KEYS[1], ev)
local existing = redis.call('HGET', KEYS[3], user)
local replaced, replacedPos = nil, 0
if existing then
  local rec = redis.call('HGET', KEYS[2], existing)
  if rec then
    local r = cjson.decode(rec)
    local expired = false
    if r.p > 0 and r.p <= tonumber(redis.call('HGET', KEYS[4], 'wm') or '0') then
      if r.p <= tonumber(redis.call('HGET', KEYS[4], 'expired') or '0') then
        expired = true
      else
        local a = redis.call('ZRANGEBYSCORE', KEYS[6], r.p, '+inf', 'LIMIT', 0, 1)
        expired = a[1] == nil or tonumber(string.match(a[1], ':(%d+)$')) + passMs <= now
      end
    end
    if not expired then return {0, existing, rec} end
    replaced = existing
    replacedPos = r.p
  end
end
if not cfgRaw then return {-1} end
local cfg = cjson.decode(cfgRaw)
if not cfg.enabled then return {-1} end
if replaced then redis.call('ZADD', KEYS[7], replacedPos, replaced) end
local closed = redis.call('HGET', KEYS[4], 'closed') == '1'
local pos = 0
if cfg.order == 'random' and not closed and cfg.opens_at > 0 and now < cfg.opens_at then
  redis.call('RPUSH', KEYS[5], newID)
else
  local pending = redis.call('LLEN', KEYS[5])
  if not closed and pending > 0 then
    redis.call('HSET', KEYS[4], 'base', redis.call('HINCRBY', KEYS[4], 'next', 0), 'closed', '1')
    redis.call('HINCRBY', KEYS[4], 'next', pending)
  end
  pos = redis.call('HINCRBY', KEYS[4], 'next', 1)
end
redis.call('HINCRBY', KEYS[4], 'joined', 1)
local rec = cjson.encode({e = ev, u = user, p = pos, j = now})
redis.call('HSET', KEYS[2], newID, rec)
redis.call('HSET', KEYS[3], user, newID)
return {1, newID, rec}
`)

// oneJoin runs r through oneJoinScript.
func oneJoin(ctx context.Context, w *WaitingRooms, r joinRequest) (created bool, rec waitingroom.TicketRecord, ok bool, err error) {
	keys := []string{w.roomsKey(), w.ticketsKey(), w.eventKey(r.eventID, "users"), w.eventKey(r.eventID, "q"),
		w.eventKey(r.eventID, "pending"), w.eventKey(r.eventID, "adm"), w.eventKey(r.eventID, "replaced")}
	res, err := oneJoinScript.Run(ctx, w.rdb, keys, waitingroom.PassTTL.Milliseconds(), r.eventID, r.userID, r.newID, r.now.UnixMilli()).Slice()
	if err != nil || len(res) == 1 {
		return false, rec, false, err
	}
	id, _ := res[1].(string)
	raw, _ := res[2].(string)
	rec, err = decodeRecord(id, raw)
	return res[0].(int64) == 1, rec, true, err
}

// roomKeysDump is everything the joins store of the events, as text.
func roomKeysDump(ctx context.Context, t *testing.T, w *WaitingRooms, events []string) string {
	t.Helper()
	tickets, err := w.rdb.HGetAll(ctx, w.ticketsKey()).Result()
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]waitingroom.TicketRecord{}
	for id, raw := range tickets {
		if recs[id], err = decodeRecord(id, raw); err != nil {
			t.Fatal(err)
		}
	}
	out := fmt.Sprintf("tickets %v\n", recs)
	for _, ev := range events {
		users := w.rdb.HGetAll(ctx, w.eventKey(ev, "users")).Val()
		q := w.rdb.HGetAll(ctx, w.eventKey(ev, "q")).Val()
		pending := w.rdb.LRange(ctx, w.eventKey(ev, "pending"), 0, -1).Val()
		replaced := w.rdb.ZRangeWithScores(ctx, w.eventKey(ev, "replaced"), 0, -1).Val()
		out += fmt.Sprintf("%s: users %v queue %v pending %v replaced %v\n", ev, users, q, pending, replaced)
	}
	return out
}

// Random batches over rooms of every kind, with fans joining again, clocks out of order,
// the entry window closing and passes expiring: the batch script answers and stores
// what the same joins made one at a time do.
func TestJoinBatchAgreesWithJoiningOneAtATime(t *testing.T) {
	rdb, prefix := testRedis(t)
	ctx := context.Background()
	removeKeysAfter(t, rdb, prefix)
	batched, single := NewWaitingRooms(rdb, prefix+"b:"), NewWaitingRooms(rdb, prefix+"s:")
	events := []string{"fifo", "random", "off", "none"}
	fence := waitingroom.Fence{Lease: "room", Owner: "me"}
	for _, w := range []*WaitingRooms{batched, single} {
		for _, s := range []waitingroom.Settings{
			{EventID: "fifo", Enabled: true, Order: waitingroom.OrderFIFO},
			{EventID: "random", Enabled: true, Order: waitingroom.OrderRandom, OpensAt: joinT0.Add(30 * time.Minute)},
			{EventID: "off", Enabled: false, Order: waitingroom.OrderFIFO},
		} {
			saveRoom(t, w, s)
		}
		if err := rdb.Set(ctx, leaseKey(w.prefix, fence.Lease), fence.Owner, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(7, 11))
	clock := joinT0
	next := 0
	for batch := range 60 {
		var reqs []joinRequest
		for range 1 + rng.IntN(25) {
			next++
			// Clocks within a batch differ by up to a minute, in any order.
			at := clock.Add(time.Duration(rng.IntN(60)) * time.Second)
			reqs = append(reqs, joinRequest{eventID: events[rng.IntN(len(events))], userID: fmt.Sprintf("u%d", rng.IntN(15)),
				newID: fmt.Sprintf("q_%d", next), now: at})
		}
		out := runBatch(t, batched, reqs...)
		for i, r := range reqs {
			created, rec, ok, err := oneJoin(ctx, single, r)
			if err != nil {
				t.Fatal(err)
			}
			a := out[i]
			if ok != (a.err == nil) || created != a.created || rec != a.rec {
				t.Fatalf("batch %d join %d (%+v): batched %+v created %v, %v; one at a time %+v created %v, ok %v",
					batch, i, r, a.rec, a.created, a.err, rec, created, ok)
			}
		}
		if b, s := roomKeysDump(ctx, t, batched, events), roomKeysDump(ctx, t, single, events); b != s {
			t.Fatalf("after batch %d the batched store holds\n%s\nand the one at a time\n%s", batch, b, s)
		}
		clock = clock.Add(time.Duration(rng.IntN(4)) * time.Minute)
		if rng.IntN(4) == 0 {
			// The controller admits a few (its shuffle aside), in both.
			for _, ev := range []string{"fifo", "random"} {
				n := int64(rng.IntN(4))
				for _, w := range []*WaitingRooms{batched, single} {
					if _, err := w.Admit(ctx, ev, fence, n, clock, waitingroom.Status{}); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}
