package actors

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
	benchHolds(b, client)
}

// benchHolds runs b.N holds of one best-available seat through client, each by a fan of
// its own with a key of its own, b's parallelism at once, and reports cpu-ns/op.
func benchHolds(b *testing.B, client *Client) {
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

// BenchmarkClientHoldRush is BenchmarkClientHold shaped like the flash rush: many fans in
// flight at once (256 a processor), commits that take 2 ms, the attempt log and the
// metrics on. Refusals then wait for the batch being written and ride with the next, a
// batch carries hundreds of decisions, and what each refusal costs on its own way (the
// attempt, the decision, its attempt record, its answer) is what the figures show,
// rather than a confirmation of the fence for each, as with two holds in flight.
func BenchmarkClientHoldRush(b *testing.B) {
	store := reserved(20, 100)
	store.delay = 2 * time.Millisecond
	metrics, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	client := clusterWith(b, SectionConfig{Store: store, RecordAttempts: true, Metrics: metrics, MailboxLimit: -1}, store, ClientConfig{})
	b.SetParallelism(256)
	benchHolds(b, client)
}
