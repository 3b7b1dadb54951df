package classic

import (
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestNewLockNeedsDependencies(t *testing.T) {
	pool := testPool(t)
	rdb, _ := testRedis(t)
	cases := map[string]LockConfig{
		"no pool":      {Redis: rdb, Payments: actors.SimulatedPayments{}},
		"no redis":     {Pool: pool, Payments: actors.SimulatedPayments{}},
		"no payments":  {Pool: pool, Redis: rdb},
		"negative ttl": {Pool: pool, Redis: rdb, Payments: actors.SimulatedPayments{}, HoldTTL: -time.Second},
	}
	for name, cfg := range cases {
		if _, err := NewLock(cfg); err == nil {
			t.Errorf("%s: NewLock succeeded", name)
		}
	}
	s, err := NewLock(LockConfig{Pool: pool, Redis: rdb, Payments: actors.SimulatedPayments{}})
	if err != nil {
		t.Fatal(err)
	}
	if s.holdTTL != DefaultHoldTTL || s.locks.ttl != DefaultSeatLockTTL {
		t.Fatalf("defaults: hold ttl %v, seat lock ttl %v", s.holdTTL, s.locks.ttl)
	}
}
