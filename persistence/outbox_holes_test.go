package persistence

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestOutboxSlowWriterCommitsBelowTheNextRecordOfItsStream shows, on two connections,
// how one stream's records become visible: the first writer of section A holds A's row
// lock with its outbox record (an id) uncommitted while another section commits a
// higher id; the next writer of A waits for the lock, so its record is written, with a
// higher id, only after the first committed. A read from above the first id (a floor
// that passed it as a hole) returns the later record of A without the earlier one; a
// read that takes the passed hole in the same statement returns both, in order.
func TestOutboxSlowWriterCommitsBelowTheNextRecordOfItsStream(t *testing.T) {
	pool := outboxTestPool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE section_lock (id text PRIMARY KEY, version bigint NOT NULL);
		INSERT INTO section_lock VALUES ('e1/A', 0)`); err != nil {
		t.Fatal(err)
	}
	o := NewOutbox(pool)
	write := func(tx pgx.Tx, key string) int64 {
		t.Helper()
		if key == "e1/A" {
			if _, err := tx.Exec(ctx, `UPDATE section_lock SET version = version + 1 WHERE id = $1`, key); err != nil {
				t.Fatal(err)
			}
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO outbox (topic, key, payload) VALUES ('seat.reserved', $1, '{}') RETURNING id`, key).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	slow, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = slow.Rollback(ctx) }()
	first := write(slow, "e1/A") // uncommitted: a hole

	other := beginTx(t, pool)
	b1 := write(other, "e1/B")
	commitTx(t, other)
	if got := pendingIDs(t, o, 0, nil); !slices.Equal(got, []int64{b1}) {
		t.Fatalf("pending %v, want [%d] with %d uncommitted", got, b1, first)
	}

	// The next writer of A waits for the lock until the slow one commits.
	next := make(chan int64, 1)
	go func() {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Error(err)
			next <- 0
			return
		}
		defer func() { _ = tx.Rollback(ctx) }()
		if _, err := tx.Exec(ctx, `UPDATE section_lock SET version = version + 1 WHERE id = 'e1/A'`); err != nil {
			t.Error(err)
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO outbox (topic, key, payload) VALUES ('seat.reserved', 'e1/A', '{}') RETURNING id`).Scan(&id); err != nil {
			t.Error(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Error(err)
		}
		next <- id
	}()
	select {
	case id := <-next:
		t.Fatalf("the next writer of A wrote %d while the first held the lock", id)
	case <-time.After(200 * time.Millisecond):
	}
	commitTx(t, slow)
	second := <-next
	if second <= b1 || first >= second {
		t.Fatalf("ids first %d, other %d, second %d: want first < other < second", first, b1, second)
	}

	if got := pendingIDs(t, o, b1, nil); !slices.Equal(got, []int64{second}) {
		t.Errorf("pending above %d: %v, want [%d] (the earlier record of A is below the floor)", b1, got, second)
	}
	if got := pendingIDs(t, o, b1, [][2]int64{{first, first}}); !slices.Equal(got, []int64{first, second}) {
		t.Errorf("pending above %d with the hole at %d: %v, want [%d %d]", b1, first, got, first, second)
	}
	// A hole reaching above after is cut at after; a hole wholly above it adds nothing.
	if got := pendingIDs(t, o, b1, [][2]int64{{first, second + 10}}); !slices.Equal(got, []int64{first, b1, second}) {
		t.Errorf("pending above %d with the hole %d..%d: %v, want [%d %d %d]", b1, first, second+10, got, first, b1, second)
	}
}

func beginTx(t *testing.T, pool *pgxpool.Pool) pgx.Tx {
	t.Helper()
	tx, err := pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return tx
}

func commitTx(t *testing.T, tx pgx.Tx) {
	t.Helper()
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func pendingIDs(t *testing.T, o *Outbox, after int64, holes [][2]int64) []int64 {
	t.Helper()
	var ids []int64
	if err := o.Pending(context.Background(), after, holes, 100, nil, func(id int64, _, _ string, _ []byte, _ time.Time) {
		ids = append(ids, id)
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}
