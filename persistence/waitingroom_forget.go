package persistence

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// forgetCheckpointEvery coalesces the checkpoints of forgetScript: one a minute at
// most, so that a room's list of them holds about a retention's minutes.
const forgetCheckpointEvery = time.Minute

// forgetScript forgets, while the caller holds the controller lease, the tickets of an
// event's room whose passes expired more than the retention ago: their records and
// their users' entries, at most count users' entries a call.
//
// The queue hash's expired field (raised by admitScript as admissions leave the pass
// lifetime) says which positions' passes have expired, not when: each call notes it,
// with the time, at the end of a list of checkpoints ("<expired>:<unix ms>", one a
// forgetCheckpointEvery at most, the last one moved up meanwhile, so that a position
// is forgotten late, never early), and the checkpoints older than the retention raise
// the forgot field. Tickets are found by their users (the event's users hash): a sweep
// scans it, a cursor a call, forgetting the tickets whose positions are at most the
// forgot field it started with (fupto), and starts again only once forgot moved past
// it (swept). A user whose entry names no record any more loses the entry too. The
// tickets replaced by their fans' new ones (joinScript), whom no user's entry names,
// are found by their positions, count a call.
//
// KEYS: queue, users, tickets, lease, checkpoints, replaced tickets.
// ARGV: lease owner, now (unix ms), retention (ms), count, checkpoint spacing (ms).
// It answers {-1} without the lease, else {tickets forgotten, 1 while a sweep is on
// its way (another call goes on with it), else 0}.
var forgetScript = redis.NewScript(`
if redis.call('GET', KEYS[4]) ~= ARGV[1] then return {-1} end
local now, keep, count, every = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local q = redis.call('HMGET', KEYS[1], 'expired', 'forgot', 'swept', 'fcur', 'fupto')
local expired, forgot = tonumber(q[1] or '0'), tonumber(q[2] or '0')
local was = forgot
local swept, cursor, upTo = tonumber(q[3] or '0'), q[4] or '0', tonumber(q[5] or '0')
local last = redis.call('LINDEX', KEYS[5], -1)
local lastUpTo, lastAt = forgot, 0
if last then
  local u, at = string.match(last, '^(%d+):(%d+)$')
  lastUpTo, lastAt = tonumber(u), tonumber(at)
end
if expired > lastUpTo then
  local mark = expired .. ':' .. now
  if last and now - lastAt < every then
    redis.call('LSET', KEYS[5], -1, mark)
  else
    redis.call('RPUSH', KEYS[5], mark)
  end
end
while true do
  local first = redis.call('LINDEX', KEYS[5], 0)
  if not first then break end
  local u, at = string.match(first, '^(%d+):(%d+)$')
  if tonumber(at) + keep > now then break end
  forgot = math.max(forgot, tonumber(u))
  redis.call('LPOP', KEYS[5])
end
if forgot ~= was then redis.call('HSET', KEYS[1], 'forgot', forgot) end
-- The replaced tickets (joinScript) are found by their positions.
local n = 0
local old = redis.call('ZRANGEBYSCORE', KEYS[6], 1, forgot, 'LIMIT', 0, count)
if #old > 0 then
  redis.call('HDEL', KEYS[3], unpack(old))
  redis.call('ZREM', KEYS[6], unpack(old))
  n = #old
end
if cursor == '0' then
  if swept >= forgot then return {n, #old == count and 1 or 0} end
  upTo = forgot
end
local page = redis.call('HSCAN', KEYS[2], cursor, 'COUNT', count)
local entries = page[2]
for i = 1, #entries, 2 do
  local user, id = entries[i], entries[i + 1]
  local rec = redis.call('HGET', KEYS[3], id)
  local p = nil
  if rec then p = tonumber(cjson.decode(rec).p) end
  if not rec or (p > 0 and p <= upTo) then
    if rec then
      redis.call('HDEL', KEYS[3], id)
      n = n + 1
    end
    redis.call('HDEL', KEYS[2], user)
  end
end
redis.call('HSET', KEYS[1], 'fcur', page[1], 'fupto', upTo)
if page[1] == '0' then
  redis.call('HSET', KEYS[1], 'swept', upTo)
  return {n, 0}
end
return {n, 1}
`)

// forgetPage is how many users' entries one call of forgetScript scans.
const forgetPage = 128

// Forget forgets, while fence holds the controller's lease, the tickets of the event's
// room whose passes expired more than retention ago, a page of its users a call: their
// records, so that a read of one answers NOT_FOUND, and their users' entries, so that
// their fans join anew. It returns how many it forgot, and whether a sweep of the
// room's users is on its way (the next call goes on with it).
func (w *WaitingRooms) Forget(ctx context.Context, eventID string, fence waitingroom.Fence, now time.Time, retention time.Duration) (waitingroom.Forgotten, error) {
	keys := []string{w.eventKey(eventID, "q"), w.eventKey(eventID, "users"), w.ticketsKey(), leaseKey(w.prefix, fence.Lease),
		w.eventKey(eventID, "forget"), w.eventKey(eventID, "replaced")}
	res, err := forgetScript.Run(ctx, w.rdb, keys, fence.Owner, now.UnixMilli(), retention.Milliseconds(), forgetPage,
		forgetCheckpointEvery.Milliseconds()).Int64Slice()
	return forgottenOf(res, err, "forget the old tickets of "+eventID)
}

// forgottenOf reads the answer of forgetScript or forgetRoomScript; what names the
// call in errors.
func forgottenOf(res []int64, err error, what string) (waitingroom.Forgotten, error) {
	switch {
	case err != nil:
		return waitingroom.Forgotten{}, fmt.Errorf("%s: %w", what, err)
	case len(res) == 1:
		return waitingroom.Forgotten{}, waitingroom.ErrNotLeader
	case len(res) != 2:
		return waitingroom.Forgotten{}, fmt.Errorf("%s: unexpected answer %v", what, res)
	}
	return waitingroom.Forgotten{Tickets: int(res[0]), Sweeping: res[1] == 1}, nil
}

// forgetRoomScript forgets, while the caller holds the controller lease, a room
// disabled for the retention: every ticket its users' entries name (whatever its
// position), a page a call, and the tickets its fans replaced; once none is left, the
// room's queue, pending tickets, admissions and checkpoints, so that a room enabled
// again starts empty. Its settings stay. A room enabled, never disabled, or disabled
// for less than the retention is left alone. The sweep keeps its own cursor (rcur),
// from the start of the users' hash.
//
// KEYS: rooms, queue, users, tickets, lease, pending, admissions, checkpoints,
// replaced tickets.
// ARGV: lease owner, event id, now (unix ms), retention (ms), count.
// It answers {-1} without the lease, else {tickets forgotten, 1 while there is more}.
var forgetRoomScript = redis.NewScript(`
if redis.call('GET', KEYS[5]) ~= ARGV[1] then return {-1} end
local raw = redis.call('HGET', KEYS[1], ARGV[2])
if not raw then return {0, 0} end
local cfg = cjson.decode(raw)
local now, keep, count = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if cfg.enabled or not cfg.disabled_at or cfg.disabled_at + keep > now then return {0, 0} end
local n = 0
local old = redis.call('ZRANGE', KEYS[9], 0, count - 1)
if #old > 0 then
  redis.call('HDEL', KEYS[4], unpack(old))
  redis.call('ZREM', KEYS[9], unpack(old))
  n = #old
end
local cursor = redis.call('HGET', KEYS[2], 'rcur') or '0'
local page = redis.call('HSCAN', KEYS[3], cursor, 'COUNT', count)
local entries = page[2]
for i = 1, #entries, 2 do
  if redis.call('HDEL', KEYS[4], entries[i + 1]) == 1 then n = n + 1 end
  redis.call('HDEL', KEYS[3], entries[i])
end
if page[1] ~= '0' or #old == count then
  redis.call('HSET', KEYS[2], 'rcur', page[1])
  return {n, 1}
end
if redis.call('HLEN', KEYS[3]) > 0 then
  -- Entries added behind the pass's cursor (none while the room stays disabled, which
  -- refuses joins; a guard, so that no ticket's record outlives its user's entry).
  redis.call('HSET', KEYS[2], 'rcur', '0')
  return {n, 1}
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[6], KEYS[7], KEYS[8], KEYS[9])
return {n, 0}
`)

// ForgetRoom forgets a room disabled for retention: its tickets, a page of its users a
// call, then its queue (waitingroom.QueueStore.ForgetRoom).
func (w *WaitingRooms) ForgetRoom(ctx context.Context, eventID string, fence waitingroom.Fence, now time.Time, retention time.Duration) (waitingroom.Forgotten, error) {
	keys := []string{w.roomsKey(), w.eventKey(eventID, "q"), w.eventKey(eventID, "users"), w.ticketsKey(),
		leaseKey(w.prefix, fence.Lease), w.eventKey(eventID, "pending"), w.eventKey(eventID, "adm"),
		w.eventKey(eventID, "forget"), w.eventKey(eventID, "replaced")}
	res, err := forgetRoomScript.Run(ctx, w.rdb, keys, fence.Owner, eventID, now.UnixMilli(), retention.Milliseconds(),
		forgetPage).Int64Slice()
	return forgottenOf(res, err, "forget the disabled room of "+eventID)
}
