package persistence

import "github.com/redis/go-redis/v9"

// The waiting room's atomic steps. Each event's queue is a hash (joined, next: the last
// position handed out, wm: the watermark, closed and base: a shuffle's reserved
// positions, shuffles, expired: the highest admission forgotten, status), a list of the
// tickets waiting for a shuffle and a sorted set of admissions ("<upTo>:<unix ms>",
// scored by upTo). Rooms' settings and every ticket's record are hashes shared by all
// events, records as JSON {"e","u","p","j"}.

// admitScript raises the watermark, closes a due entry window and records the
// controller's status, while the caller holds the controller lease.
// KEYS: rooms, queue, pending, admissions, lease.
// ARGV: event id, lease owner, positions to admit, now (unix ms), the oldest admission
// to keep (unix ms), status JSON.
// It answers {-1} without the lease, else {watermark, tickets waiting for the shuffle}.
var admitScript = redis.NewScript(`
if redis.call('GET', KEYS[5]) ~= ARGV[2] then return {-1} end
local now = tonumber(ARGV[4])
local cfgRaw = redis.call('HGET', KEYS[1], ARGV[1])
if not cfgRaw then return {-1} end
local cfg = cjson.decode(cfgRaw)
local closed = redis.call('HGET', KEYS[2], 'closed') == '1'
local pending = redis.call('LLEN', KEYS[3])
if not closed and pending > 0 and (cfg.order ~= 'random' or cfg.opens_at == 0 or now >= cfg.opens_at) then
  redis.call('HSET', KEYS[2], 'base', redis.call('HINCRBY', KEYS[2], 'next', 0), 'closed', '1')
  redis.call('HINCRBY', KEYS[2], 'next', pending)
  closed = true
end
local wm = tonumber(redis.call('HGET', KEYS[2], 'wm') or '0')
local cap = tonumber(redis.call('HGET', KEYS[2], 'next') or '0')
if closed and pending > 0 then cap = tonumber(redis.call('HGET', KEYS[2], 'base')) end
local upTo = math.min(wm + tonumber(ARGV[3]), cap)
if upTo > wm then
  redis.call('HSET', KEYS[2], 'wm', upTo)
  redis.call('ZADD', KEYS[4], upTo, string.format('%d:%d', upTo, now))
else
  upTo = wm
end
local keep = tonumber(ARGV[5])
for i = 1, 100 do
  local first = redis.call('ZRANGE', KEYS[4], 0, 0)
  if first[1] == nil then break end
  local u, at = string.match(first[1], '^(%d+):(%d+)$')
  if tonumber(at) >= keep then break end
  redis.call('ZREM', KEYS[4], first[1])
  redis.call('HSET', KEYS[2], 'expired', u)
end
redis.call('HSET', KEYS[2], 'status', ARGV[6])
local shuffle = 0
if closed and pending > 0 then shuffle = pending end
return {upTo, shuffle}
`)

// shuffleScript gives the pending tickets their reserved positions in the order of
// ARGV, while the caller holds the controller lease.
// KEYS: queue, pending, tickets, lease. ARGV: lease owner, the pending ids shuffled.
// It answers -1 without the lease, 0 when there is nothing (or something else) to
// apply, 1 once applied.
var shuffleScript = redis.NewScript(`
if redis.call('GET', KEYS[4]) ~= ARGV[1] then return -1 end
if redis.call('HGET', KEYS[1], 'closed') ~= '1' then return 0 end
local pending = redis.call('LRANGE', KEYS[2], 0, -1)
if #pending == 0 or #pending ~= #ARGV - 1 then return 0 end
local want = {}
for _, id in ipairs(pending) do want[id] = (want[id] or 0) + 1 end
for i = 2, #ARGV do
  if not want[ARGV[i]] or want[ARGV[i]] == 0 then return 0 end
  want[ARGV[i]] = want[ARGV[i]] - 1
end
local base = tonumber(redis.call('HGET', KEYS[1], 'base'))
for i = 2, #ARGV do
  local rec = redis.call('HGET', KEYS[3], ARGV[i])
  if rec then
    local r = cjson.decode(rec)
    r.p = base + i - 1
    redis.call('HSET', KEYS[3], ARGV[i], cjson.encode(r))
  end
end
redis.call('DEL', KEYS[2])
redis.call('HINCRBY', KEYS[1], 'shuffles', 1)
return 1
`)

// settingsScript stores a room's settings; settings that open a new entry window (a
// random order opening later) reopen it once the previous shuffle is applied.
// KEYS: rooms, queue, pending. ARGV: event id, settings JSON, now (unix ms), opens at
// (unix ms, 0 for none), 1 for the random order.
var settingsScript = redis.NewScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[5] == '1' and tonumber(ARGV[4]) > tonumber(ARGV[3]) and redis.call('LLEN', KEYS[3]) == 0 then
  redis.call('HSET', KEYS[2], 'closed', '0')
end
return 1
`)
