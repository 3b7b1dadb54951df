package persistence

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The lease scripts compare the stored owner before touching the key, so an owner whose
// lease already expired and was taken by someone else cannot renew or delete it.
const (
	// leaseAcquireSrc sets the key if it is free and answers {1, 0}; otherwise it answers
	// {0, the holder's remaining milliseconds} (PTTL: -1 without expiry, -2 if gone).
	leaseAcquireSrc = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, 0}
end
return {0, redis.call('PTTL', KEYS[1])}`
	leaseRenewSrc = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`
	leaseReleaseSrc = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`
)

// Leases implements actors.Leases on Redis: SET NX PX (answering the holder's PTTL when
// taken) to acquire, compare-and-pexpire to renew, compare-and-delete to release. Keys
// are prefix + "lease:" + name.
type Leases struct {
	rdb     *redis.Client
	prefix  string
	acquire *redis.Script
	renew   *redis.Script
	release *redis.Script
}

// NewLeases returns leases stored in rdb under prefix.
func NewLeases(rdb *redis.Client, prefix string) *Leases {
	return &Leases{
		rdb:     rdb,
		prefix:  prefix,
		acquire: redis.NewScript(leaseAcquireSrc),
		renew:   redis.NewScript(leaseRenewSrc),
		release: redis.NewScript(leaseReleaseSrc),
	}
}

func (l *Leases) key(name string) string { return leaseKey(l.prefix, name) }

// leaseKey is where the lease name lives under prefix; the waiting room's fenced writes
// read it too.
func leaseKey(prefix, name string) string { return prefix + "lease:" + name }

// Acquire takes name for owner for ttl if nobody holds it. When someone holds it, it
// answers how long their lease has left (0 when the key has no expiry or just vanished).
func (l *Leases) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (bool, time.Duration, error) {
	if ttl < time.Millisecond {
		return false, 0, fmt.Errorf("acquire lease %q: ttl %v is below 1ms", name, ttl)
	}
	res, err := l.acquire.Run(ctx, l.rdb, []string{l.key(name)}, owner, ttl.Milliseconds()).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("acquire lease %q: %w", name, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("acquire lease %q: unexpected reply %v", name, res)
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, time.Duration(max(res[1], 0)) * time.Millisecond, nil
}

// Renew extends name for ttl if owner still holds it.
func (l *Leases) Renew(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if ttl < time.Millisecond {
		return false, fmt.Errorf("renew lease %q: ttl %v is below 1ms", name, ttl)
	}
	n, err := l.renew.Run(ctx, l.rdb, []string{l.key(name)}, owner, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("renew lease %q: %w", name, err)
	}
	return n == 1, nil
}

// Release deletes name if owner still holds it; releasing a lease someone else holds,
// or nobody holds, does nothing.
func (l *Leases) Release(ctx context.Context, name, owner string) error {
	if err := l.release.Run(ctx, l.rdb, []string{l.key(name)}, owner).Err(); err != nil {
		return fmt.Errorf("release lease %q: %w", name, err)
	}
	return nil
}
