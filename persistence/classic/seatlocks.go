package classic

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/actors"
)

// seatLockTakeSrc takes every key for ARGV[1] (PX ARGV[2]) when none is held by another
// token, and returns the 1-based positions of those that are; nothing is taken then.
// A settled key ("s:" + token, see seatLockSettleSrc) is no lock: it is taken over.
const seatLockTakeSrc = `
local taken = {}
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if v and v ~= ARGV[1] and string.sub(v, 1, 2) ~= 's:' then
    taken[#taken + 1] = i
  end
end
if #taken == 0 then
  for _, k in ipairs(KEYS) do
    redis.call('SET', k, ARGV[1], 'PX', ARGV[2])
  end
end
return taken`

// seatLockFirstSrc walks candidates: KEYS holds their keys one after the other and
// ARGV[3..] their sizes. It takes (for ARGV[1], PX ARGV[2]) every key of the first
// candidate none of whose keys exists (held, or settled: claimed a moment ago), and
// returns that candidate's 1-based position, or 0 when every candidate has such a key.
const seatLockFirstSrc = `
local at = 1
for c = 3, #ARGV do
  local n = tonumber(ARGV[c])
  local free = true
  for i = at, at + n - 1 do
    if redis.call('EXISTS', KEYS[i]) == 1 then
      free = false
      break
    end
  end
  if free then
    for i = at, at + n - 1 do
      redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
    end
    return c - 2
  end
  at = at + n
end
return 0`

// seatLockSettleSrc turns each key still holding ARGV[1] into "s:" + ARGV[1] for
// ARGV[2] ms: the claim committed, and the seat is held in the database now. A settled
// key locks nothing (an explicit claim takes it over), but best available steps around
// it, because the seat read it ranked from may predate the commit; without it, the
// best-placed seats, the ones just claimed, would be chosen again and found taken.
const seatLockSettleSrc = `
for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then
    redis.call('SET', k, 's:' .. ARGV[1], 'PX', ARGV[2])
  end
end
return 0`

// seatLockFreeSrc deletes each key still holding ARGV[1]; a lock that expired and was
// taken by another request stays with its new owner.
const seatLockFreeSrc = `
local n = 0
for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then
    redis.call('DEL', k)
    n = n + 1
  end
end
return n`

// seatLocks are Lock's per-seat Redis locks: a request holds the locks of the seats it
// claims while its Postgres transaction runs. Keys are
// prefix + "seat-lock:<event>/<section>/<seat>", values the claiming hold's id. Each
// operation is one script, so one round trip, whatever the number of seats.
type seatLocks struct {
	rdb    *redis.Client
	prefix string
	ttl    time.Duration
	take   *redis.Script
	first  *redis.Script
	settle *redis.Script
	free   *redis.Script
}

// seatSettleTTL is how long a settled key tells best available that its seat was just
// claimed: longer than a seat read can be old when a choice is made from it.
const seatSettleTTL = 250 * time.Millisecond

func newSeatLocks(rdb *redis.Client, prefix string, ttl time.Duration) *seatLocks {
	return &seatLocks{rdb: rdb, prefix: prefix, ttl: ttl,
		take: redis.NewScript(seatLockTakeSrc), first: redis.NewScript(seatLockFirstSrc),
		settle: redis.NewScript(seatLockSettleSrc), free: redis.NewScript(seatLockFreeSrc)}
}

func (l *seatLocks) keys(section actors.SectionKey, seats []string) []string {
	keys := make([]string, len(seats))
	for i, s := range seats {
		keys[i] = l.prefix + "seat-lock:" + section.Identity() + "/" + s
	}
	return keys
}

// acquire locks all of seats for token, or none: taken lists the seats another request
// holds (then nothing was locked).
func (l *seatLocks) acquire(ctx context.Context, section actors.SectionKey, seats []string, token string) (taken []string, err error) {
	at, err := l.take.Run(ctx, l.rdb, l.keys(section, seats), token, l.ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("lock seats of %s: %w", section, err)
	}
	for _, i := range at {
		taken = append(taken, seats[i-1])
	}
	return taken, nil
}

// acquireFirst locks, for token, the seats of the first candidate none of whose seats
// another request holds, and returns its index; -1 when every candidate is contended.
func (l *seatLocks) acquireFirst(ctx context.Context, section actors.SectionKey, candidates [][]string, token string) (int, error) {
	var keys []string
	args := make([]any, 0, len(candidates)+2)
	args = append(args, token, l.ttl.Milliseconds())
	for _, c := range candidates {
		keys = append(keys, l.keys(section, c)...)
		args = append(args, strconv.Itoa(len(c)))
	}
	n, err := l.first.Run(ctx, l.rdb, keys, args...).Int()
	if err != nil {
		return -1, fmt.Errorf("lock best seats of %s: %w", section, err)
	}
	return n - 1, nil
}

// settleLocks settles the locks of seats that token still holds (see
// seatLockSettleSrc), after its claim committed.
func (l *seatLocks) settleLocks(ctx context.Context, section actors.SectionKey, seats []string, token string) error {
	if len(seats) == 0 {
		return nil
	}
	if err := l.settle.Run(ctx, l.rdb, l.keys(section, seats), token, seatSettleTTL.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("settle seat locks of %s: %w", section, err)
	}
	return nil
}

// release frees the locks of seats that token still holds.
func (l *seatLocks) release(ctx context.Context, section actors.SectionKey, seats []string, token string) error {
	if len(seats) == 0 {
		return nil
	}
	if err := l.free.Run(ctx, l.rdb, l.keys(section, seats), token).Err(); err != nil {
		return fmt.Errorf("free seat locks of %s: %w", section, err)
	}
	return nil
}
