package persistence

import (
	"context"
	"testing"
)

func TestMigrateIsRepeatable(t *testing.T) {
	pool := testPool(t)
	if err := Migrate(context.Background(), pool); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_name IN ('events','sections','seats','holds','orders','tickets','outbox','idempotency_keys','notifications')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 9 {
		t.Fatalf("want 9 tables, got %d", n)
	}
}
