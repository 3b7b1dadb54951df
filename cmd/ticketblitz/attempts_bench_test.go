package main

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BenchmarkHotSectionAttemptLog is BenchmarkHotSection's actor/explicit run with the
// attempt log on and off, one after the other; with -count the two alternate (on off on
// off …), which is how to compare them on a noisy machine:
//
//	go test ./cmd/ticketblitz -run '^$' -bench HotSectionAttemptLog -benchtime 20000x -count 3
func BenchmarkHotSectionAttemptLog(b *testing.B) {
	for _, on := range []string{"true", "false"} {
		b.Run("log="+on, func(b *testing.B) {
			benchHot(b, "actor", "explicit", 1000, map[string]string{"TICKETBLITZ_ATTEMPTS_LOG": on})
		})
	}
}

// reportAttemptStorage reports what the attempt log of db takes on disk per 1,000
// attempts (table, index and TOAST), when it recorded any.
func reportAttemptStorage(b *testing.B, db string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/"+db+"?sslmode=disable")
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	var n, size int64
	if err := conn.QueryRow(ctx, `SELECT count(*), pg_total_relation_size('attempts') FROM attempts`).Scan(&n, &size); err != nil || n == 0 {
		return
	}
	b.ReportMetric(float64(n), "attempts")
	b.ReportMetric(float64(size)*1000/float64(n)/1024, "KiB/1000-attempts")
}
