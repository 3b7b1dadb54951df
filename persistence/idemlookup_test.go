package persistence

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
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
