package persistence

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// usedPassesKey names an event's used passes: a sorted set of ticket ids, scored by
// their admission in unix milliseconds. (Its name is new with that score: the set of
// earlier servers, scored by the passes' expiry in seconds, is another key, and its
// uses count as unknown, which admits fewer fans, never more, until those passes
// expire.)
func (w *WaitingRooms) usedPassesKey(eventID string) string { return w.eventKey(eventID, "usedat") }

// heldSeatsKey names the tally of an event's passes whose holds took seats: a hash of
// holds (those passes, each once), seats (the seats they took), "a" and a bucket
// (waitingroom.UseBucket: the passes used, each once, whose holds were answered that
// long after their admission) and, a pass, "t:" and its ticket id (the seats its hold
// took).
func (w *WaitingRooms) heldSeatsKey(eventID string) string { return w.eventKey(eventID, "usedseats") }

// usePassesScript records one event's pass uses, each pass once, and tallies the
// passes whose holds took seats and those seats, each pass once, and the passes used
// by how long after their admission their holds were answered, each pass once; both
// keys live until the last pass recorded has expired, and a minute more.
// KEYS: used passes, tally. ARGV: how long the keys live (ms), then a ticket id, its
// admission (unix ms), its hold's seats and its time's bucket (-1: unknown) per use.
var usePassesScript = redis.NewScript(`
local holds, seats, after = 0, 0, {}
for i = 2, #ARGV, 4 do
  local k = ARGV[i+3]
  if redis.call('ZADD', KEYS[1], 'NX', ARGV[i+1], ARGV[i]) == 1 and k ~= '-1' then
    after[k] = (after[k] or 0) + 1
  end
  local n = tonumber(ARGV[i+2])
  if n > 0 and redis.call('HSETNX', KEYS[2], 't:' .. ARGV[i], n) == 1 then
    holds = holds + 1
    seats = seats + n
  end
end
if holds > 0 then
  redis.call('HINCRBY', KEYS[2], 'holds', holds)
  redis.call('HINCRBY', KEYS[2], 'seats', seats)
end
for k, n in pairs(after) do
  redis.call('HINCRBY', KEYS[2], 'a' .. k, n)
end
local ttl = tonumber(ARGV[1])
for k = 1, 2 do
  local left = redis.call('PTTL', KEYS[k])
  if left == -1 or (left >= 0 and left < ttl) then redis.call('PEXPIRE', KEYS[k], ttl) end
end
return holds
`)

// UsePasses records the passes holds used (waitingroom.PassUses), one round trip an
// event; a pass recorded before keeps its first record, and the seats of its first
// record with seats count once. Each event's keys live until its last pass has
// expired.
func (w *WaitingRooms) UsePasses(ctx context.Context, uses []waitingroom.PassUse) error {
	if len(uses) == 0 {
		return nil
	}
	byEvent := make(map[string][]waitingroom.PassUse)
	for _, u := range uses {
		byEvent[u.EventID] = append(byEvent[u.EventID], u)
	}
	for id, evUses := range byEvent {
		var last time.Time
		args := make([]any, 1, 1+4*len(evUses))
		for _, u := range evUses {
			args = append(args, u.TicketID, u.Admitted.UnixMilli(), max(u.Seats, 0), waitingroom.UseBucket(u.HeldAfter))
			if u.Expires.After(last) {
				last = u.Expires
			}
		}
		args[0] = (time.Until(last) + time.Minute).Milliseconds()
		keys := []string{w.usedPassesKey(id), w.heldSeatsKey(id)}
		if err := usePassesScript.Run(ctx, w.rdb, keys, args...).Err(); err != nil {
			return fmt.Errorf("record %d queue passes used: %w", len(uses), err)
		}
	}
	return nil
}

// tallyFields are the tally's fields UsedPasses reads: holds, seats, and the passes
// used by bucket of time from admission to hold.
func tallyFields() []string {
	f := make([]string, 0, 2+waitingroom.UseBuckets)
	f = append(f, "holds", "seats")
	for k := range waitingroom.UseBuckets {
		f = append(f, "a"+strconv.Itoa(k))
	}
	return f
}

// UsedPasses tells the event's pass usage at now: the passes used that are still
// valid (forgetting the expired ones), those of them admitted at each since or later,
// the holds recorded and their seats, and the passes used by how long after their
// admission their holds were answered.
func (w *WaitingRooms) UsedPasses(ctx context.Context, eventID string, now time.Time, since ...time.Time) (waitingroom.PassUsage, error) {
	key := w.usedPassesKey(eventID)
	// A pass admitted at a runs out at a + PassTTL, to the second: at or before now
	// when a is before the second after now's, less PassTTL.
	expired := "(" + strconv.FormatInt(now.Truncate(time.Second).Add(time.Second-waitingroom.PassTTL).UnixMilli(), 10)
	var n *redis.IntCmd
	recent := make([]*redis.IntCmd, len(since))
	var tally *redis.SliceCmd
	fields := tallyFields()
	_, err := w.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, key, "-inf", expired)
		n = p.ZCard(ctx, key)
		for i, s := range since {
			recent[i] = p.ZCount(ctx, key, strconv.FormatInt(s.UnixMilli(), 10), "+inf")
		}
		tally = p.HMGet(ctx, w.heldSeatsKey(eventID), fields...)
		return nil
	})
	if err != nil {
		return waitingroom.PassUsage{}, fmt.Errorf("count the queue passes used of %s: %w", eventID, err)
	}
	u := waitingroom.PassUsage{Used: n.Val(), Since: make([]int64, len(since))}
	for i, c := range recent {
		u.Since[i] = c.Val()
	}
	if v := tally.Val(); len(v) == len(fields) {
		u.Holds, u.Seats = tallyInt(v[0]), tallyInt(v[1])
		for k := range u.HeldAfter {
			u.HeldAfter[k] = tallyInt(v[2+k])
		}
	}
	return u, nil
}

// tallyInt reads a tally's field (0 when missing).
func tallyInt(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
