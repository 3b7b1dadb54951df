package classic

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/actors"
)

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

// seatLocks are Lock's per-seat Redis locks: a request holds the locks of
// the seats it claims while its Postgres transaction runs. Keys are
// prefix + "seat-lock:<event>/<section>/<seat>", values the claiming hold's id.
type seatLocks struct {
	rdb    *redis.Client
	prefix string
	ttl    time.Duration
	free   *redis.Script
}

func newSeatLocks(rdb *redis.Client, prefix string, ttl time.Duration) *seatLocks {
	return &seatLocks{rdb: rdb, prefix: prefix, ttl: ttl, free: redis.NewScript(seatLockFreeSrc)}
}

func (l *seatLocks) keys(section actors.SectionKey, seats []string) []string {
	keys := make([]string, len(seats))
	for i, s := range seats {
		keys[i] = l.prefix + "seat-lock:" + section.Identity() + "/" + s
	}
	return keys
}

// acquire locks seats (which must be sorted) one by one for token. At the first seat
// another request holds it stops, frees the locks it took and returns that seat in
// taken. Taking seats in one global order means two overlapping claims never both
// wait on each other, and the one holding the lowest contested seat can win.
func (l *seatLocks) acquire(ctx context.Context, section actors.SectionKey, seats []string, token string) (taken []string, err error) {
	keys := l.keys(section, seats)
	for i, k := range keys {
		ok, err := l.rdb.SetNX(ctx, k, token, l.ttl).Result()
		if err == nil && ok {
			continue
		}
		// keys[i] is included: a failed SET may still have been applied, and
		// compare-and-delete leaves another owner's lock alone.
		if ferr := l.freeKeys(ctx, keys[:i+1], token); ferr != nil && err == nil {
			err = ferr
		}
		if err != nil {
			return nil, fmt.Errorf("lock seat %s: %w", seats[i], err)
		}
		return []string{seats[i]}, nil
	}
	return nil, nil
}

// release frees the locks of seats that token still holds.
func (l *seatLocks) release(ctx context.Context, section actors.SectionKey, seats []string, token string) error {
	return l.freeKeys(ctx, l.keys(section, seats), token)
}

func (l *seatLocks) freeKeys(ctx context.Context, keys []string, token string) error {
	if len(keys) == 0 {
		return nil
	}
	if err := l.free.Run(ctx, l.rdb, keys, token).Err(); err != nil {
		return fmt.Errorf("free seat locks: %w", err)
	}
	return nil
}
