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
// their passes' expiry in unix seconds.
func (w *WaitingRooms) usedPassesKey(eventID string) string { return w.eventKey(eventID, "used") }

// heldSeatsKey names the tally of an event's passes whose holds took seats: a hash of
// holds (those passes, each once), seats (the seats they took) and, a pass, "t:" and
// its ticket id (the seats its hold took).
func (w *WaitingRooms) heldSeatsKey(eventID string) string { return w.eventKey(eventID, "usedseats") }

// usePassesScript records one event's pass uses, each pass once, and tallies the
// passes whose holds took seats and those seats, each pass once; both keys live until
// the last pass recorded has expired, and a minute more.
// KEYS: used passes, tally. ARGV: how long the keys live (ms), then a ticket id, its
// pass's expiry (unix s) and its hold's seats per use.
var usePassesScript = redis.NewScript(`
local holds, seats = 0, 0
for i = 2, #ARGV, 3 do
  redis.call('ZADD', KEYS[1], 'NX', ARGV[i+1], ARGV[i])
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
		args := make([]any, 1, 1+3*len(evUses))
		for _, u := range evUses {
			args = append(args, u.TicketID, u.Expires.Unix(), max(u.Seats, 0))
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

// UsedPasses tells the event's pass usage at now: the passes used that are still
// valid (forgetting the expired ones), and the holds recorded and their seats.
func (w *WaitingRooms) UsedPasses(ctx context.Context, eventID string, now time.Time) (waitingroom.PassUsage, error) {
	key := w.usedPassesKey(eventID)
	at := strconv.FormatFloat(float64(now.UnixMilli())/1000, 'f', 3, 64)
	var n *redis.IntCmd
	var tally *redis.SliceCmd
	_, err := w.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, key, "-inf", at)
		n = p.ZCard(ctx, key)
		tally = p.HMGet(ctx, w.heldSeatsKey(eventID), "holds", "seats")
		return nil
	})
	if err != nil {
		return waitingroom.PassUsage{}, fmt.Errorf("count the queue passes used of %s: %w", eventID, err)
	}
	u := waitingroom.PassUsage{Used: n.Val()}
	if v := tally.Val(); len(v) == 2 {
		u.Holds, u.Seats = tallyInt(v[0]), tallyInt(v[1])
	}
	return u, nil
}

// tallyInt reads a tally's field (0 when missing).
func tallyInt(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
