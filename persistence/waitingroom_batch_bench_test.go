package persistence

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// BenchmarkJoinBatch runs batches of 512 fans joining one room for the first time,
// charged to the rate limit as a rush's batches are, or not: one script call a batch, whose
// time is nearly all Redis's. It reports the time per join.
func BenchmarkJoinBatch(b *testing.B) {
	b.Run("charged", func(b *testing.B) { benchmarkJoinBatch(b, true) })
	b.Run("uncharged", func(b *testing.B) { benchmarkJoinBatch(b, false) })
}

func benchmarkJoinBatch(b *testing.B, charged bool) {
	const batch = 512
	rdb, prefix := testRedis(b)
	ctx := context.Background()
	removeKeysAfter(b, rdb, prefix)
	store := NewWaitingRooms(rdb, prefix)
	limiter, err := NewRateLimiter(rdb, prefix, "100000000/min")
	if err != nil {
		b.Fatal(err)
	}
	store.ChargeJoinsTo(limiter)
	if err := store.SaveSettings(ctx, waitingroom.Settings{EventID: "ev", Enabled: true, Order: waitingroom.OrderFIFO}, time.Now()); err != nil {
		b.Fatal(err)
	}
	reqs := make([]joinRequest, batch)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		now := time.Now()
		for i := range reqs {
			user := fmt.Sprintf("fan-%d-%d", n, i)
			reqs[i] = joinRequest{eventID: "ev", userID: user, newID: fmt.Sprintf("q_%d_%d", n, i), now: now}
			if charged {
				reqs[i].rateKey = limiter.redisKey(actors.UserRateKey(user))
			}
		}
		answers, err := store.runJoins(ctx, reqs)
		if err != nil || answers[batch-1].err != nil || !answers[batch-1].created {
			b.Fatalf("batch %d: %v %+v", n, err, answers[batch-1])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/join")
}
