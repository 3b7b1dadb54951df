package actors

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// SectionWaker wakes a section so that it expires its due holds: Client.Wake.
type SectionWaker interface {
	Wake(ctx context.Context, key SectionKey) error
}

// ReminderConfig configures an ExpiryReminder. Store, Sections, Member and Logger are
// required; the zero value of everything else works.
type ReminderConfig struct {
	Store    ReminderStore
	Sections SectionWaker
	// Member is this process's cluster member id: the lease's holder.
	Member string
	// Membership, when set, lets the reminder take the lease over at once from a holder
	// that is no longer alive (a crashed or restarted process) instead of waiting for its
	// lease to run out.
	Membership Membership
	Logger     *zap.Logger
	Clock      Clock // nil: the system clock
	// Interval is the pause between two rounds (default 1s).
	Interval time.Duration
	// Grace is how long a section's next expiry must have passed before the reminder
	// wakes it (default 1s): a section that runs expires its holds on its own timer, and
	// the reminder is for the ones nobody runs.
	Grace time.Duration
	// LeaseTTL is how long the lease lasts unless renewed; every round renews it (default
	// 5s, database time).
	LeaseTTL time.Duration
	// Batch bounds the sections woken in one round (default 256); the earliest go first.
	Batch int
	// Parallel bounds the wakes in flight (default 8), so that a cluster restarted with
	// many sections holding live holds activates them at a measured pace.
	Parallel int
}

// withDefaults returns a copy of c with every unset optional field filled in.
func (c ReminderConfig) withDefaults() ReminderConfig {
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.Grace <= 0 {
		c.Grace = time.Second
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 5 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 256
	}
	if c.Parallel <= 0 {
		c.Parallel = 8
	}
	return c
}

// reminderStoreTimeout bounds one call of the reminder to the store.
const reminderStoreTimeout = 5 * time.Second

// ExpiryReminder makes hold expiry durable, like Orleans reminders: a section's timers
// expire its holds while it runs, and every batch leaves the earliest expiry of its live
// holds on the section's row; the reminder wakes, through Client.Wake, every section whose
// expiry has passed while nobody ran it (its node crashed or was drained, or it
// passivated), so holds expire on time whether or not anyone calls.
//
// Every node runs one; the member holding the reminder lease in the store does the work,
// once for the cluster. The lease lives in PostgreSQL rather than Redis because the
// reminder needs the store anyway and the sale runs without Redis; its times are the
// database's. A holder that stops gracefully gives the lease up; one that crashes is
// replaced once its lease runs out, or at once by a member whose view says the holder is
// no longer alive. Two holders for a moment (a paused one waking up) only wake a section
// twice, which is harmless: a wake expires what is due and nothing else.
type ExpiryReminder struct {
	cfg ReminderConfig
	log *zap.Logger

	held    bool         // this member had the lease after the last round
	failing bool         // the last store call failed; logged once until one succeeds
	woken   atomic.Int64 // wakes the sections answered
}

// NewExpiryReminder returns a reminder; Run runs it.
func NewExpiryReminder(cfg ReminderConfig) (*ExpiryReminder, error) {
	if cfg.Store == nil || cfg.Sections == nil || cfg.Member == "" || cfg.Logger == nil {
		return nil, errors.New("expiry reminder: Store, Sections, Member and Logger are required")
	}
	cfg = cfg.withDefaults()
	return &ExpiryReminder{cfg: cfg, log: cfg.Logger}, nil
}

// Run runs a round every Interval until ctx ends, then gives the lease up if it has it.
func (r *ExpiryReminder) Run(ctx context.Context) error {
	defer r.release()
	for {
		r.round(ctx)
		if !r.sleep(ctx) {
			return nil
		}
	}
}

// sleep waits one interval on the reminder's clock; false when ctx ended first.
func (r *ExpiryReminder) sleep(ctx context.Context) bool {
	tick := make(chan struct{})
	t := r.cfg.Clock.AfterFunc(r.cfg.Interval, func() { close(tick) })
	select {
	case <-tick:
		return true
	case <-ctx.Done():
		t.Stop()
		return false
	}
}

// round claims the lease and, holding it, wakes the sections whose holds are due.
func (r *ExpiryReminder) round(ctx context.Context) {
	if !r.claim(ctx) {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, reminderStoreTimeout)
	due, err := r.cfg.Store.DueSections(sctx, r.cfg.Grace, r.cfg.Batch)
	cancel()
	if err != nil {
		r.storeFailed(err)
		return
	}
	r.storeAnswered()
	// The wakes of a round end well within the lease, which the next round renews: a
	// section slow to activate, or a node slow to answer, is woken again then.
	wctx, cancel := context.WithTimeout(ctx, r.cfg.LeaseTTL/2)
	defer cancel()
	r.wake(wctx, due)
}

// claim takes or renews the lease, taking it over at once from a holder that is not
// alive, and reports whether this member has it.
func (r *ExpiryReminder) claim(ctx context.Context) bool {
	sctx, cancel := context.WithTimeout(ctx, reminderStoreTimeout)
	defer cancel()
	held, holder, err := r.cfg.Store.ClaimReminder(sctx, r.cfg.Member, "", r.cfg.LeaseTTL)
	if err == nil && !held && holder != "" && r.cfg.Membership != nil && !r.cfg.Membership.MemberAlive(holder) {
		previous := holder
		held, holder, err = r.cfg.Store.ClaimReminder(sctx, r.cfg.Member, previous, r.cfg.LeaseTTL)
		if err == nil && held {
			r.log.Info("took the expiry reminder over from a member that is no longer alive", zap.String("previous_member", previous))
		}
	}
	if err != nil {
		r.storeFailed(err)
		return false
	}
	r.storeAnswered()
	if held != r.held {
		if held {
			r.log.Info("this member runs the cluster's expiry reminder", zap.String("member", r.cfg.Member))
		} else {
			r.log.Info("another member runs the cluster's expiry reminder", zap.String("holder", holder))
		}
	}
	r.held = held
	return held
}

// wake wakes the sections, at most Parallel at a time, and returns when every wake ended.
// A section that does not answer stays due and is woken again next round.
func (r *ExpiryReminder) wake(ctx context.Context, due []SectionKey) {
	if len(due) == 0 {
		return
	}
	slots := make(chan struct{}, r.cfg.Parallel)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, key := range due {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := r.cfg.Sections.Wake(ctx, key); err != nil {
				failed.Add(1)
				r.log.Debug("a section with due holds did not answer the wake; it is woken again next round",
					zap.String("section", key.Identity()), zap.Error(err))
				return
			}
			r.woken.Add(1)
		}()
	}
	wg.Wait()
	r.log.Debug("woke sections whose holds were due", zap.Int("sections", len(due)), zap.Int64("failed", failed.Load()))
}

// storeFailed logs the first of a run of store failures.
func (r *ExpiryReminder) storeFailed(err error) {
	if !r.failing {
		r.log.Warn("the expiry reminder cannot reach the store; holds due in sections nobody runs wait until it can", zap.Error(err))
	}
	r.failing = true
}

// storeAnswered logs the end of a run of store failures.
func (r *ExpiryReminder) storeAnswered() {
	if r.failing {
		r.log.Info("the expiry reminder reaches the store again")
	}
	r.failing = false
}

// release gives the lease up when this member has it, so that another takes over at its
// next round instead of waiting for the lease to run out.
func (r *ExpiryReminder) release() {
	if !r.held {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := r.cfg.Store.ReleaseReminder(ctx, r.cfg.Member); err != nil {
		r.log.Warn("releasing the expiry reminder's lease", zap.Error(err))
		return
	}
	r.held = false
}
