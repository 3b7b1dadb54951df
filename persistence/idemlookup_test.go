package persistence

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Many concurrent lookups share queries; each caller still gets its own answer, and a
// caller who gives up neither gets an answer nor stalls the others.
func TestIdempotentConcurrentLookups(t *testing.T) {
	s, pool := storeNew(t)
	ctx := storeCtx(t)
	prefix := storeEventID(t)
	const n = 300
	for i := 0; i < n; i += 2 { // every even key exists
		if _, err := pool.Exec(ctx, `
INSERT INTO idempotency_keys (user_id, key, event_id, section_id, request_hash, response)
VALUES ($1, $2, 'ev', 'A', $3, $4)`, fmt.Sprintf("%s-u%d", prefix, i%7), fmt.Sprintf("k%d", i), []byte{byte(i)}, []byte(fmt.Sprintf("reply-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user, key := fmt.Sprintf("%s-u%d", prefix, i%7), fmt.Sprintf("k%d", i)
			if i%25 == 1 {
				if _, ok, err := s.Idempotent(cancelled, user, key); ok || !errors.Is(err, context.Canceled) {
					errs <- fmt.Errorf("cancelled lookup %d: ok %v, err %v", i, ok, err)
				}
				return
			}
			rec, ok, err := s.Idempotent(ctx, user, key)
			switch {
			case err != nil:
				errs <- fmt.Errorf("lookup %d: %w", i, err)
			case ok != (i%2 == 0):
				errs <- fmt.Errorf("lookup %d: ok %v", i, ok)
			case ok && (string(rec.Response) != fmt.Sprintf("reply-%d", i) || rec.UserID != user || rec.Key != key):
				errs <- fmt.Errorf("lookup %d: record %+v", i, rec)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The lookup is idle again: a lone caller is answered.
	if _, ok, err := s.Idempotent(ctx, prefix+"-u0", "k0"); !ok || err != nil {
		t.Errorf("lone lookup after the rush: %v %v", ok, err)
	}
}

// idemBatch is a batch of n lookups of keys that do not exist, as in a rush, where
// almost every hold's key is new; every tenth is a key that exists (stored by the caller
// as existingIdem makes them).
func idemBatch(prefix string, n int) []idemQuery {
	qs := make([]idemQuery, n)
	for i := range qs {
		qs[i] = idemQuery{userID: fmt.Sprintf("%s-u%d", prefix, i), key: fmt.Sprintf("k%d", i)}
	}
	return qs
}

// storeIdem stores a record for every tenth key of qs, its response naming its place.
func storeIdem(t testing.TB, ctx context.Context, pool *pgxpool.Pool, qs []idemQuery) {
	for i := 0; i < len(qs); i += 10 {
		if _, err := pool.Exec(ctx, `
INSERT INTO idempotency_keys (user_id, key, event_id, section_id, request_hash, response)
VALUES ($1, $2, 'ev', 'A', '\x00', $3)`, qs[i].userID, qs[i].key, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
}

// A batch of 512 lookups sends its keys as two arrays already encoded and reads each
// row into its caller's place: its allocations do not grow with its keys (pgx's own
// encoding of two []string boxes every key, and a map of the keys found was made for
// each batch: over 1,000 allocations), and each answer is its own key's.
func TestIdempotentBatchAllocations(t *testing.T) {
	_, pool := storeNew(t)
	ctx := storeCtx(t)
	qs := idemBatch(storeEventID(t), 512)
	storeIdem(t, ctx, pool, qs)
	check := func() {
		as, err := lookupIdempotent(ctx, pool, qs)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range as {
			if a.ok != (i%10 == 0) || (a.ok && (a.rec.UserID != qs[i].userID || a.rec.Key != qs[i].key || string(a.rec.Response) != fmt.Sprint(i))) {
				t.Fatalf("answer %d: %+v", i, a)
			}
		}
	}
	check()
	if got := testing.AllocsPerRun(20, check); got > 400 {
		t.Errorf("%.0f allocations a batch of 512 lookups, want at most 400", got)
	}
}

// BenchmarkIdempotentBatch is one batch of 512 idempotency lookups, one key in ten
// found, as the coalescer sends them in a rush.
func BenchmarkIdempotentBatch(b *testing.B) {
	pool := testPool(b)
	ctx := context.Background()
	qs := idemBatch(fmt.Sprintf("bench%d", time.Now().UnixNano()), 512)
	storeIdem(b, ctx, pool, qs)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := lookupIdempotent(ctx, pool, qs); err != nil {
			b.Fatal(err)
		}
	}
}
