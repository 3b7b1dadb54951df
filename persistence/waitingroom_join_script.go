package persistence

import "github.com/redis/go-redis/v9"

// joinScript issues a ticket per join, or answers the user's own while it has not
// expired, for every join of a batch in turn: a user who appears twice gets one ticket,
// and positions follow the batch's order. A ticket whose pass expired is replaced, and
// noted by its position among the event's replaced tickets, for forgetScript. A join
// marked charged first spends one request of its user's rate-limit allowance (gcraLua,
// the state RateLimiter.Allow reads and writes), and a refused one changes nothing
// else.
//
// A batch is nearly always one event's, so everything of an event is read once per
// call (its settings, decoded once, the queue hash's counters, the pending count and
// the users' tickets, with one HMGET), the joins run on that state, and what they
// changed is written once per event at the end: one HSET of the queue's counters, one
// of the users' tickets, one RPUSH of the pending tickets, and one HSET of every new
// ticket's record. The script is atomic, so this stores exactly what joining one by
// one did. Each join's answer refers to its event's queue, read after the last join:
// a state after each join of the batch.
//
// KEYS: rooms, tickets, then per event: users, queue, pending, admissions, replaced
// tickets; then per join: its rate limit (any key when not charged).
// ARGV: pass lifetime (ms), the limit's burst, rate and period (s), the number of
// events, then per event: its id; then per join: its event's number (1-based), user id,
// new ticket id, now (unix ms), 1 to charge the limit (else 0).
// It answers {per event {settings or false, the queue hash's fields, pending count},
// per join {1, ticket id, position, event number} for a new ticket, {0, ticket id,
// record, event number} for the one held, {-1} when the room is not enabled, or {-2,
// seconds until a retry may pass} when the limit refused it}.
var joinScript = redis.NewScript(`
redis.replicate_commands()
` + gcraLua + `
local passMs = tonumber(ARGV[1])
local burst, rate, period = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local nEv = tonumber(ARGV[5])
local fields = {'joined', 'next', 'wm', 'closed', 'base', 'shuffles', 'expired', 'status'}
-- A JSON string; ids are nearly always plain, anything else goes through cjson.
local function quote(s)
  if string.find(s, '[%c"\\]') then return cjson.encode(s) end
  return '"' .. s .. '"'
end
local evs = {}
for e = 1, nEv do
  local k = 3 + 5 * (e - 1)
  local q = redis.call('HMGET', KEYS[k + 1], 'joined', 'next', 'wm', 'closed', 'expired')
  evs[e] = {id = ARGV[5 + e], kUsers = KEYS[k], kQ = KEYS[k + 1], kPending = KEYS[k + 2], kAdm = KEYS[k + 3], kReplaced = KEYS[k + 4],
    cfgRaw = redis.call('HGET', KEYS[1], ARGV[5 + e]),
    joined = tonumber(q[1] or '0'), next = tonumber(q[2] or '0'), wm = tonumber(q[3] or '0'),
    closed = q[4] == '1', expired = tonumber(q[5] or '0'), pending = redis.call('LLEN', KEYS[k + 2]),
    issued = 0, nextSet = false, base = nil, held = {}, asked = {}, recs = {}, userPairs = {}, pendingIDs = {}}
end
local first = 6 + nEv
local nJoins = (#ARGV - first + 1) / 5
-- Every user's ticket as the batch starts, one HMGET per event.
for i = 0, nJoins - 1 do
  local r = evs[tonumber(ARGV[first + 5 * i])]
  r.asked[#r.asked + 1] = ARGV[first + 5 * i + 1]
end
for _, r in ipairs(evs) do
  if #r.asked > 0 then
    local ids = redis.call('HMGET', r.kUsers, unpack(r.asked))
    for j, u in ipairs(r.asked) do
      if r.held[u] == nil then r.held[u] = ids[j] end
    end
  end
end
local ticketPairs = {}
local function join(e, r, user, newID, nowArg)
  local now = tonumber(nowArg)
  local existing, replaced, replacedPos = r.held[user], nil, 0
  if existing then
    local rec = r.recs[existing]
    -- A ticket issued in this batch is never admitted yet: it stands.
    if rec then return {0, existing, rec, e} end
    rec = redis.call('HGET', KEYS[2], existing)
    if rec then
      local p = cjson.decode(rec).p
      local expired = false
      if p > 0 and p <= r.wm then
        if p <= r.expired then
          expired = true
        else
          local a = redis.call('ZRANGEBYSCORE', r.kAdm, p, '+inf', 'LIMIT', 0, 1)
          expired = a[1] == nil or tonumber(string.match(a[1], ':(%d+)$')) + passMs <= now
        end
      end
      if not expired then return {0, existing, rec, e} end
      replaced, replacedPos = existing, p
    end
  end
  if not r.cfgRaw then return {-1} end
  if r.cfg == nil then r.cfg = cjson.decode(r.cfgRaw) end
  local cfg = r.cfg
  if not cfg.enabled then return {-1} end
  -- The new ticket replaces the expired one, which forgetScript, finding tickets
  -- by their users, would never find again: it is noted by its position.
  if replaced then redis.call('ZADD', r.kReplaced, replacedPos, replaced) end
  local pos = 0
  if cfg.order == 'random' and not r.closed and cfg.opens_at > 0 and now < cfg.opens_at then
    r.pendingIDs[#r.pendingIDs + 1] = newID
    r.pending = r.pending + 1
  else
    if not r.closed and r.pending > 0 then
      -- The entry window is due to close: its tickets take the next positions, shuffled.
      r.base, r.closed = r.next, true
      r.next = r.next + r.pending
    end
    r.next = r.next + 1
    r.nextSet = true
    pos = r.next
  end
  r.issued = r.issued + 1
  r.quotedID = r.quotedID or quote(r.id)
  local rec = '{"e":' .. r.quotedID .. ',"u":' .. quote(user) .. ',"p":' .. pos .. ',"j":' .. nowArg .. '}'
  r.recs[newID] = rec
  r.held[user] = newID
  ticketPairs[#ticketPairs + 1] = newID
  ticketPairs[#ticketPairs + 1] = rec
  r.userPairs[#r.userPairs + 1] = user
  r.userPairs[#r.userPairs + 1] = newID
  return {1, newID, pos, e}
end
local rateNow = nil
local joins = {}
for i = 0, nJoins - 1 do
  local a = first + 5 * i
  local allowed, after = 1, nil
  if ARGV[a + 4] == '1' then
    rateNow = rateNow or gcraNow()
    allowed, after = gcra(KEYS[3 + 5 * nEv + i], burst, rate, period, rateNow)
  end
  if allowed == 1 then
    local e = tonumber(ARGV[a])
    joins[i + 1] = join(e, evs[e], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])
  else
    joins[i + 1] = {-2, after}
  end
end
if #ticketPairs > 0 then redis.call('HSET', KEYS[2], unpack(ticketPairs)) end
local out = {}
for e, r in ipairs(evs) do
  if r.issued > 0 then
    local set = {'joined', r.joined + r.issued}
    if r.nextSet then
      set[#set + 1], set[#set + 2] = 'next', r.next
    end
    if r.base then
      set[#set + 1], set[#set + 2], set[#set + 3], set[#set + 4] = 'base', r.base, 'closed', '1'
    end
    redis.call('HSET', r.kQ, unpack(set))
    redis.call('HSET', r.kUsers, unpack(r.userPairs))
    if #r.pendingIDs > 0 then redis.call('RPUSH', r.kPending, unpack(r.pendingIDs)) end
  end
  out[e] = {r.cfgRaw or false, redis.call('HMGET', r.kQ, unpack(fields)), redis.call('LLEN', r.kPending)}
end
return {out, joins}
`)
