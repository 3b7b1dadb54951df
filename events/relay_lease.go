package events

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// leaseKeeper takes the relay lease and renews it, in a goroutine of its own so that a
// slow broker or a long read never delays a renewal. The relay asks it, before handing
// each record to the producer, whether the lease is live.
type leaseKeeper struct {
	cfg     RelayConfig
	owner   string
	log     *zap.Logger
	changed chan struct{} // signalled when the token changes

	mu        sync.Mutex
	token     int64     // the fencing token while this relay holds the lease; 0 otherwise
	renewedAt time.Time // when the last acquisition or renewal that succeeded was sent
}

func newLeaseKeeper(cfg RelayConfig, owner string) *leaseKeeper {
	return &leaseKeeper{cfg: cfg, owner: owner, log: cfg.Logger, changed: make(chan struct{}, 1)}
}

// state returns the current token (0 when the lease is not held) and whether records
// may be handed to the producer under it: more than half of the lease's time is left
// since the last renewal that succeeded. The rest is the time what was sent has to
// land before the lease runs out and another relay may take it.
func (k *leaseKeeper) state() (token int64, live bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.token, k.token != 0 && k.cfg.Clock.Now().Sub(k.renewedAt) < k.cfg.LeaseTTL/2
}

// lose forgets token if it is still the current one: a mark found it superseded.
func (k *leaseKeeper) lose(token int64, why string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.loseLocked(token, why)
}

func (k *leaseKeeper) loseLocked(token int64, why string) {
	if token == 0 || k.token != token {
		return
	}
	k.token = 0
	k.log.Warn("relay lease lost; publishing stopped", zap.String("why", why), zap.Int64("token", token))
	k.signal()
}

func (k *leaseKeeper) signal() {
	select {
	case k.changed <- struct{}{}:
	default:
	}
}

// run acquires and renews until ctx ends; it leaves the releasing to release.
func (k *leaseKeeper) run(ctx context.Context) {
	o := outage{log: k.log}
	waiting, failures := false, 0
	for ctx.Err() == nil {
		token, _ := k.state()
		if token == 0 {
			owner, known := k.leaseOwner()
			if !known {
				sleep(ctx, k.cfg.LeaseRetry, nil)
				continue
			}
			sent := k.cfg.Clock.Now()
			got, ok, err := k.cfg.Outbox.AcquireRelayLease(ctx, owner, k.cfg.LeaseTTL)
			if err == nil && !ok {
				got, ok, err = k.takeOverFromGone(ctx, owner)
			}
			switch {
			case err != nil:
				if ctx.Err() != nil {
					return
				}
				failures++
				o.failed(failedAt("take relay lease", err))
				sleep(ctx, backoffDelay(backoffInitial, k.cfg.MaxBackoff, failures-1), nil)
			case !ok:
				failures = 0
				o.recovered()
				if !waiting {
					k.log.Info("another node relays the outbox; waiting for the relay lease")
					waiting = true
				}
				sleep(ctx, k.cfg.LeaseRetry, nil)
			default:
				failures = 0
				o.recovered()
				if waiting {
					k.log.Info("took over the relay lease", zap.Int64("token", got))
				}
				waiting = false
				k.mu.Lock()
				k.token, k.renewedAt = got, sent
				k.signal()
				k.mu.Unlock()
			}
			continue
		}
		sleep(ctx, k.cfg.LeaseRenew, nil)
		if ctx.Err() != nil {
			return
		}
		sent := k.cfg.Clock.Now()
		ok, err := k.cfg.Outbox.RenewRelayLease(ctx, token, k.cfg.LeaseTTL)
		k.mu.Lock()
		switch {
		case err != nil:
			if ctx.Err() == nil {
				o.failed(failedAt("renew relay lease", err))
				if sent.Sub(k.renewedAt) >= k.cfg.LeaseTTL/2 {
					k.loseLocked(token, "renewals failed for half the lease")
				}
			}
		case !ok:
			k.loseLocked(token, "another relay took the lease over")
		case k.token == token:
			o.recovered()
			k.renewedAt = sent
		}
		k.mu.Unlock()
	}
}

// release frees the lease if this relay still holds it.
func (k *leaseKeeper) release() {
	k.mu.Lock()
	token := k.token
	k.token = 0
	k.mu.Unlock()
	if token == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), markTimeout)
	defer cancel()
	if err := k.cfg.Outbox.ReleaseRelayLease(ctx, token); err != nil {
		k.log.Warn("release the relay lease", zap.Error(err))
		return
	}
	k.log.Debug("relay lease released", zap.Int64("token", token))
}
