package persistence

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The lease scripts compare the stored owner before touching the key, so an owner whose
// lease already expired and was taken by someone else cannot renew or delete it.
const (
	// leaseAcquireSrc sets the key if it is free and answers {1, 0, ""}; otherwise it
	// answers {0, the holder's remaining milliseconds (PTTL: -1 without expiry, -2 if
	// gone), the holder}.
	leaseAcquireSrc = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, 0, ''}
end
return {0, redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[1]) or ''}`
	// leaseTakeOverSrc gives the key to ARGV[2] if ARGV[1] still holds it or it is free.
	leaseTakeOverSrc = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] or not cur then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`
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

// Leases implements actors.Leases on Redis: SET NX PX (answering the holder and its PTTL
// when taken) to acquire, compare-and-set to take over, compare-and-pexpire to renew,
// compare-and-delete to release. Keys are prefix + "lease:" + name.
type Leases struct {
	rdb      *redis.Client
	prefix   string
	acquire  *redis.Script
	takeOver *redis.Script
	renew    *redis.Script
	release  *redis.Script
}

var _ actors.Leases = (*Leases)(nil)

// NewLeases returns leases stored in rdb under prefix.
func NewLeases(rdb *redis.Client, prefix string) *Leases {
	return &Leases{
		rdb:      rdb,
		prefix:   prefix,
		acquire:  redis.NewScript(leaseAcquireSrc),
		takeOver: redis.NewScript(leaseTakeOverSrc),
		renew:    redis.NewScript(leaseRenewSrc),
		release:  redis.NewScript(leaseReleaseSrc),
	}
}

func (l *Leases) key(name string) string { return leaseKey(l.prefix, name) }

// leaseKey is where the lease name lives under prefix; the waiting room's fenced writes
// read it too.
func leaseKey(prefix, name string) string { return prefix + "lease:" + name }

// Acquire takes name for owner for ttl if nobody holds it. When someone holds it, it
// answers who and how long their lease has left (0 when the key has no expiry or just
// vanished).
func (l *Leases) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (bool, actors.LeaseHolder, error) {
	if ttl < time.Millisecond {
		return false, actors.LeaseHolder{}, fmt.Errorf("acquire lease %q: ttl %v is below 1ms", name, ttl)
	}
	res, err := l.acquire.Run(ctx, l.rdb, []string{l.key(name)}, owner, ttl.Milliseconds()).Slice()
	if err != nil {
		return false, actors.LeaseHolder{}, fmt.Errorf("acquire lease %q: %w", name, err)
	}
	if len(res) != 3 {
		return false, actors.LeaseHolder{}, fmt.Errorf("acquire lease %q: unexpected reply %v", name, res)
	}
	got, _ := res[0].(int64)
	pttl, _ := res[1].(int64)
	holder, _ := res[2].(string)
	if got == 1 {
		return true, actors.LeaseHolder{}, nil
	}
	return false, actors.LeaseHolder{Owner: holder, Remaining: time.Duration(max(pttl, 0)) * time.Millisecond}, nil
}

// TakeOver gives name to owner for ttl if from still holds it or nobody does.
func (l *Leases) TakeOver(ctx context.Context, name, from, owner string, ttl time.Duration) (bool, error) {
	if ttl < time.Millisecond {
		return false, fmt.Errorf("take over lease %q: ttl %v is below 1ms", name, ttl)
	}
	n, err := l.takeOver.Run(ctx, l.rdb, []string{l.key(name)}, from, owner, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("take over lease %q: %w", name, err)
	}
	return n == 1, nil
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
