package actors

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkClientHold is the attempt beneath a hold, as in a rush: fans, each with an
// idempotency key, ask a one-node cluster's section for one best-available seat; the
// first 2,000 are granted and the rest refused SOLD_OUT. It covers the idempotency
// lookup, the command's copy with its deadline, the reply process and its registry
// entry, the section's decision and batch (on the in-memory store), and the answer.
func BenchmarkClientHold(b *testing.B) {
	store := reserved(20, 100)
	client := clusterWith(b, SectionConfig{Store: store}, store, ClientConfig{})
	ctx := context.Background()
	var fan atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := strconv.FormatInt(fan.Add(1), 10)
			_, err := client.Hold(ctx, HoldRequest{EventID: "ev", SectionID: "S", UserID: "fan" + id, Quantity: 1, IdempotencyKey: "k" + id})
			if err != nil && !errors.Is(err, ErrSoldOut) {
				b.Error(err)
				return
			}
		}
	})
}
