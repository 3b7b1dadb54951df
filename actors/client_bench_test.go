package actors

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// BenchmarkClientHold is the attempt beneath a hold, as in a rush: fans, each with an
// idempotency key, ask a one-node cluster's section for one best-available seat; the
// first 2,000 are granted and the rest refused SOLD_OUT. It covers the idempotency
// lookup, the command's copy with its deadline, the answer's way back through the
// client's reply process, the section's decision and batch (on the in-memory store).
// Its cpu-ns/op (the process's CPU time per hold) and allocs/op are the regression
// figures; ns/op follows whatever else the machine runs.
func BenchmarkClientHold(b *testing.B) {
	store := reserved(20, 100)
	client := clusterWith(b, SectionConfig{Store: store}, store, ClientConfig{})
	ctx := context.Background()
	var fan atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := testenv.ProcessCPU()
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
	b.ReportMetric(float64((testenv.ProcessCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
