package persistence

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TestStoreCommitSaysWhatBecameOfTheBatch: a fenced batch is ErrFenced; one that fails
// before its COMMIT is sent is ErrRolledBack (nothing written); one whose COMMIT was sent
// and not answered in time is ErrCommitUnknown.
func TestStoreCommitSaysWhatBecameOfTheBatch(t *testing.T) {
	s, pool := storeNew(t)
	ev := storeFixtureEvent(t, s)
	key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
	first := storeActivate(t, s, key)
	snap := storeActivate(t, s, key)

	err := s.Commit(storeCtx(t), storeHoldBatch(first, first.Version, ev.ID+"-h0", ev.ID+"-u", "A-1"))
	if !errors.Is(err, actors.ErrFenced) || errors.Is(err, actors.ErrRolledBack) || errors.Is(err, actors.ErrCommitUnknown) {
		t.Errorf("fenced batch: %v", err)
	}

	bad := storeHoldBatch(snap, snap.Version, ev.ID+"-h1", ev.ID+"-u", "A-1", "Q-9")
	if err := s.Commit(storeCtx(t), bad); !errors.Is(err, actors.ErrRolledBack) || errors.Is(err, actors.ErrCommitUnknown) {
		t.Errorf("batch with a failing statement: %v", err)
	}

	done, cancel := context.WithCancel(storeCtx(t))
	cancel()
	if err := s.Commit(done, storeHoldBatch(snap, snap.Version, ev.ID+"-h2", ev.ID+"-u", "A-2")); !errors.Is(err, actors.ErrRolledBack) {
		t.Errorf("batch whose context ended before it was sent: %v", err)
	}

	// A COMMIT that takes longer than the caller waits: a deferred trigger sleeps at commit
	// time for one user's holds only.
	slow := ev.ID + "-slow"
	for _, q := range []string{
		`CREATE OR REPLACE FUNCTION test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$`,
		`CREATE CONSTRAINT TRIGGER test_slow_commit AFTER INSERT ON holds DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW WHEN (NEW.user_id LIKE '%-slow') EXECUTE FUNCTION test_slow_commit()`,
	} {
		if _, err := pool.Exec(storeCtx(t), q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = pool.Exec(ctx, `DROP TRIGGER IF EXISTS test_slow_commit ON holds`)
	})
	short, cancelShort := context.WithTimeout(storeCtx(t), 300*time.Millisecond)
	defer cancelShort()
	err = s.Commit(short, storeHoldBatch(snap, snap.Version, ev.ID+"-h3", slow, "A-3"))
	if !errors.Is(err, actors.ErrCommitUnknown) || errors.Is(err, actors.ErrRolledBack) {
		t.Errorf("batch whose COMMIT was not answered in time: %v", err)
	}
	t.Logf("unanswered COMMIT: %v", err)
}

// TestStoreOrderOfHoldWaitsForTheBatchInFlight: OrderOfHold answers only once a write of
// the section still in flight has ended, and then with what it committed.
func TestStoreOrderOfHoldWaitsForTheBatchInFlight(t *testing.T) {
	s, pool := storeNew(t)
	ev := storeFixtureEvent(t, s)
	key := actors.SectionKey{EventID: ev.ID, SectionID: "A"}
	snap := storeActivate(t, s, key)
	held := storeHoldBatch(snap, snap.Version, ev.ID+"-h1", ev.ID+"-u", "A-1")
	storeCommit(t, s, held)
	if got, err := s.OrderOfHold(storeCtx(t), key, held.Holds[0].ID); err != nil || got != "" {
		t.Fatalf("order of a held hold = %q, %v", got, err)
	}

	// A confirm batch in flight: it holds the section row until its COMMIT.
	ctx := storeCtx(t)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `UPDATE sections SET version = version + 1 WHERE event_id = $1 AND id = $2`, key.EventID, key.SectionID); err != nil {
		t.Fatal(err)
	}
	confirm := storeConfirmBatch(snap, snap.Version+1, held.Holds[0], ev.ID+"-o1")
	if _, err := tx.Exec(ctx, `INSERT INTO orders (id, hold_id, event_id, section_id, user_id, seats, quantity, status, total_cents, currency, created_at, updated_at)
VALUES ($1, $2, $3, 'A', $4, '{A-1}', 1, 'confirmed', 5000, 'EUR', now(), now())`, ev.ID+"-o1", held.Holds[0].ID, ev.ID, ev.ID+"-u"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE holds SET status = 'confirmed', order_id = $2 WHERE id = $1`, held.Holds[0].ID, confirm.Orders[0].ID); err != nil {
		t.Fatal(err)
	}

	type answer struct {
		order string
		err   error
	}
	answers := make(chan answer, 1)
	go func() {
		got, err := s.OrderOfHold(ctx, key, held.Holds[0].ID)
		answers <- answer{got, err}
	}()
	select {
	case a := <-answers:
		t.Fatalf("answered %+v while the batch was in flight", a)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if a := <-answers; a.err != nil || a.order != ev.ID+"-o1" {
		t.Fatalf("after the commit: %+v, want order %s-o1", a, ev.ID)
	}
}
