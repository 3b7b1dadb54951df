package classic

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// Defaults of SequencerConfig.
const (
	DefaultSequencePoll  = 250 * time.Millisecond
	DefaultSequenceBatch = 5000
)

// SequencerConfig configures a Sequencer. Pool is required; the zero value of every
// other field selects its default.
type SequencerConfig struct {
	Pool *pgxpool.Pool
	// Logger defaults to zap.NewNop().
	Logger *zap.Logger
	// OnOutbox is called after a pass moved records into the outbox (to wake the relay).
	OnOutbox func()
	// PollInterval is how often Run looks for staged records it was not told about
	// (written by another node, or left by one that stopped). Default DefaultSequencePoll.
	PollInterval time.Duration
	// Batch bounds the staged records one pass reads. Default DefaultSequenceBatch.
	Batch int
}

// withDefaults returns a copy of c with every unset optional field filled in.
func (c SequencerConfig) withDefaults() SequencerConfig {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.OnOutbox == nil {
		c.OnOutbox = func() {}
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultSequencePoll
	}
	if c.Batch <= 0 {
		c.Batch = DefaultSequenceBatch
	}
	return c
}

// Sequencer gives the classic strategies' reserved sections their versions. Their
// transactions lock only the rows they change (seats, holds, orders), never the section
// row, so no hold waits for another hold of a different seat; they stage their outbox
// records (outbox_staged) instead of numbering them. The sequencer moves staged records
// into the outbox, per section, under the section row's lock:
//
//  1. lock the section row (FOR NO KEY UPDATE: the holds that reference it, whose
//     foreign key takes KEY SHARE on it, do not wait);
//  2. read its staged records in id order, in a statement that starts after the lock is
//     taken (a fresh snapshot under READ COMMITTED);
//  3. group them by transaction (txid), groups ordered by their smallest id;
//  4. give each group the next version, apply its held and sold deltas to the section
//     row, stamp its SectionChanged (version, counters) and domain events
//     (section_version), insert them into outbox (new ids: the relay's id order is the
//     sequence) and delete them from staging; commit.
//
// Why each seat's changes keep their commit order: a transaction stages its records
// after it has locked every row it changes. Two transactions that change one seat are
// serialized by that seat's row lock, so the later one stages only after the earlier
// one committed: all its ids are larger, and whenever it is visible to the sequencer,
// the earlier one is too (or was sequenced before). A transaction not yet committed is
// invisible and gets a later version; whatever it changes, no committed transaction
// that is sequenced now changed after it. Transactions that share no row may come out in
// either order; each is a version of its own, so the live seat maps replay the same
// states. The same argument covers hold and order rows (a confirm locks the hold row
// its hold created). The counters stay right at every version: after any prefix of the
// groups, every seat's changes are a prefix of its own history.
//
// Several sequencers (one per node) may run: the section row's lock serializes them, and
// each reads what the previous one left.
type Sequencer struct {
	cfg     SequencerConfig
	wake    chan struct{}
	mu      sync.Mutex
	pending map[actors.SectionKey]bool
}

// NewSequencer checks cfg and returns a sequencer; call Run to start it.
func NewSequencer(cfg SequencerConfig) (*Sequencer, error) {
	if cfg.Pool == nil {
		return nil, errors.New("sequencer: postgres pool is required")
	}
	return &Sequencer{cfg: cfg.withDefaults(), wake: make(chan struct{}, 1), pending: map[actors.SectionKey]bool{}}, nil
}

// Notify tells the sequencer that a transaction staged records of key and committed.
// It never blocks.
func (s *Sequencer) Notify(key actors.SectionKey) {
	s.mu.Lock()
	s.pending[key] = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sequences the sections it is notified of, at once, and every PollInterval every
// section that has staged records, until ctx is done; then it returns nil. A failed pass
// is logged and its section tried again on the next round.
func (s *Sequencer) Run(ctx context.Context) error {
	tick := time.NewTicker(s.cfg.PollInterval)
	defer tick.Stop()
	poll := true
	for {
		keys := s.takePending()
		if poll {
			staged, err := s.stagedSections(ctx)
			if err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("find staged outbox records", zap.Error(err))
			}
			keys = append(keys, staged...)
		}
		failed := false
		if len(keys) > 0 && s.Sequence(ctx, keys...) != nil {
			// One by one, so that a section that keeps failing holds up no other.
			for _, key := range keys {
				if err := s.Sequence(ctx, key); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					failed = true
					s.cfg.Logger.Warn("sequence staged outbox records", zap.String("section", key.Identity()), zap.Error(err))
				}
			}
		}
		if failed { // the poll finds them again; do not spin on a failing database
			poll = false
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
				poll = true
			}
			continue
		}
		poll = false
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-tick.C:
			poll = true
		}
	}
}

func (s *Sequencer) takePending() []actors.SectionKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]actors.SectionKey, 0, len(s.pending))
	for k := range s.pending {
		keys = append(keys, k)
	}
	clear(s.pending)
	return keys
}

// stagedSections lists the sections that have staged records.
func (s *Sequencer) stagedSections(ctx context.Context) ([]actors.SectionKey, error) {
	rows, err := s.cfg.Pool.Query(ctx, stagedSectionsSQL)
	if err != nil {
		return nil, fmt.Errorf("read staged sections: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (actors.SectionKey, error) {
		var id string
		if err := row.Scan(&id); err != nil {
			return actors.SectionKey{}, err
		}
		ev, sec, _ := strings.Cut(id, "/")
		return actors.SectionKey{EventID: ev, SectionID: sec}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read staged sections: %w", err)
	}
	return keys, nil
}

// The sequencer's statements.
const (
	lockSectionSQL = `
SELECT kind, capacity, held, sold, version FROM sections
WHERE event_id = $1 AND id = $2 FOR NO KEY UPDATE`

	stagedSQL = `
SELECT id, txid::text, topic, key, payload, held_delta, sold_delta FROM outbox_staged
WHERE key = $1 ORDER BY id LIMIT $2`

	// stagedRestSQL completes the transactions a truncated read cut off.
	stagedRestSQL = `
SELECT id, txid::text, topic, key, payload, held_delta, sold_delta FROM outbox_staged
WHERE key = $1 AND id > $2 AND txid::text = ANY($3) ORDER BY id`

	sectionSequencedSQL = `
UPDATE sections SET version = $3, held = $4, sold = $5 WHERE event_id = $1 AND id = $2`

	stagedDeleteSQL = `DELETE FROM outbox_staged WHERE id = ANY($1)`

	// stagedSectionsSQL lists the distinct keys of outbox_staged by skipping through its
	// (key, id) index, one probe per key: a plain DISTINCT would read every row the
	// table ever had that vacuum has not reclaimed yet.
	stagedSectionsSQL = `
WITH RECURSIVE keys AS (
	(SELECT key FROM outbox_staged ORDER BY key LIMIT 1)
	UNION ALL
	SELECT (SELECT o.key FROM outbox_staged AS o WHERE o.key > keys.key ORDER BY o.key LIMIT 1)
	FROM keys WHERE keys.key IS NOT NULL
)
SELECT key FROM keys WHERE key IS NOT NULL`
)

// Sequence moves the committed staged records of the sections into the outbox now (see
// Sequencer), in one transaction: it locks their rows in key order, the order every
// sequencer takes them in, so that two sequencers never deadlock. It returns nil when
// there was nothing staged.
func (s *Sequencer) Sequence(ctx context.Context, keys ...actors.SectionKey) error {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b actors.SectionKey) int { return strings.Compare(a.Identity(), b.Identity()) })
	keys = slices.Compact(keys)
	reads := make([]sectionRead, len(keys))
	moved := false
	err := runTx(ctx, s.cfg.Pool, func(b *pgx.Batch) {
		for i, key := range keys {
			r := &reads[i]
			queueLockSection(b, key, &r.sec, &r.found)
			// Sent behind the lock: the server binds it, taking its snapshot, only once
			// the lock is held, so it sees every transaction committed before.
			r.staged = nil
			b.Queue(stagedSQL, key.Identity(), s.cfg.Batch).Query(func(rows pgx.Rows) error {
				var err error
				r.staged, err = collectStaged(rows)
				return err
			})
		}
	}, func(tx pgx.Tx) error {
		moved = false
		b := &pgx.Batch{}
		for i, key := range keys {
			r := &reads[i]
			if !r.found || len(r.staged) == 0 {
				continue
			}
			if len(r.staged) == s.cfg.Batch {
				rest, err := readRest(ctx, tx, key, r.staged)
				if err != nil {
					return err
				}
				r.staged = append(r.staged, rest...)
			}
			if _, err := queueSequence(b, r.sec, r.staged); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			moved = true
		}
		return send(ctx, tx, b)
	})
	if err != nil {
		return fmt.Errorf("sequence %d sections: %w", len(keys), err)
	}
	if moved {
		s.cfg.OnOutbox()
	}
	return nil
}

// sectionRead is a section row locked by the sequencer and its staged records.
type sectionRead struct {
	sec    sectionCounters
	found  bool
	staged []stagedRecord
}

// queueLockSection queues the lock of the section row on b; the row arrives in *sec,
// and *found says whether the section exists.
func queueLockSection(b *pgx.Batch, key actors.SectionKey, sec *sectionCounters, found *bool) {
	*sec = sectionCounters{eventID: key.EventID, section: key.SectionID}
	b.Queue(lockSectionSQL, key.EventID, key.SectionID).QueryRow(func(row pgx.Row) error {
		var kind string
		err := row.Scan(&kind, &sec.capacity, &sec.held, &sec.sold, &sec.version)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("lock section: %w", err)
		}
		sec.kind, *found = actors.SectionKind(kind), true
		return nil
	})
}

// readRest reads the rest of the transactions a read truncated at its last record cut
// in two.
func readRest(ctx context.Context, tx pgx.Tx, key actors.SectionKey, staged []stagedRecord) ([]stagedRecord, error) {
	txids := make([]string, 0, len(staged))
	for _, r := range staged {
		txids = append(txids, r.txid)
	}
	rows, err := tx.Query(ctx, stagedRestSQL, key.Identity(), staged[len(staged)-1].id, slices.Compact(slices.Sorted(slices.Values(txids))))
	if err != nil {
		return nil, fmt.Errorf("read staged records: %w", err)
	}
	return collectStaged(rows)
}

func collectStaged(rows pgx.Rows) ([]stagedRecord, error) {
	staged, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stagedRecord, error) {
		var r stagedRecord
		err := row.Scan(&r.id, &r.txid, &r.topic, &r.key, &r.payload, &r.held, &r.sold)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("read staged records: %w", err)
	}
	return staged, nil
}

// queueSequence numbers staged (read under the section row's lock) and queues the
// result on b: the section row, the outbox records, the staging deletes. It returns the
// section row as it will be.
func queueSequence(b *pgx.Batch, sec sectionCounters, staged []stagedRecord) (sectionCounters, error) {
	if len(staged) == 0 {
		return sec, nil
	}
	// Rows read by a later statement may interleave with a cut-off transaction's rest.
	slices.SortFunc(staged, func(a, b stagedRecord) int { return cmp.Compare(a.id, b.id) })
	plan, err := planSequence(sec, staged)
	if err != nil {
		return sec, err
	}
	if plan.after != sec {
		b.Queue(sectionSequencedSQL, sec.eventID, sec.section, plan.after.version, plan.after.held, plan.after.sold)
	}
	persistence.QueueOutbox(b, plan.msgs)
	b.Queue(stagedDeleteSQL, plan.ids).Exec(expectRows("delete staged records", len(plan.ids)))
	return plan.after, nil
}
