package events

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ticketblitz/ticketblitz/actors"
)

// BenchmarkLiveFeedRush publishes section versions the way the relay does in a rush
// (bursts of a few records about every millisecond, through the relay's producer) to a
// live feed on the in-process broker, and reports the process's CPU per record (broker,
// producer and feed together), the fetch requests the feed made per record, and each
// version's delay from its send to the handler (p50 and max).
func BenchmarkLiveFeedRush(b *testing.B) {
	const burst = 8
	br := testBroker(b, BrokerConfig{})
	var mu sync.Mutex
	fetches := 0
	br.Cluster().ControlKey(int16(kmsg.Fetch), func(kmsg.Request) (kmsg.Response, error, bool) {
		br.Cluster().KeepControl()
		mu.Lock()
		fetches++
		mu.Unlock()
		return nil, nil, false
	})
	sent := make([]time.Time, b.N+1)
	delays := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	handler := func(_, _ string, ch actors.SectionChanged) {
		mu.Lock()
		defer mu.Unlock()
		delays = append(delays, time.Since(sent[ch.Version]))
		if len(delays) == b.N {
			close(done)
		}
	}
	feed, err := NewLiveFeed(LiveFeedConfig{Brokers: br.Addrs(), Node: "bench", Handler: handler})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = feed.Run(ctx) }()
	<-feed.Ready()
	p := testProducer(b, br.Addrs())
	go func() {
		for range p.Successes() {
		}
	}()
	msgs := make([]*sarama.ProducerMessage, b.N+1)
	for v := 1; v <= b.N; v++ {
		key := actors.SectionKey{EventID: "e", SectionID: fmt.Sprint(v % 4)}
		m, err := actors.NewOutboxMessage(fmt.Sprint("env-", v), actors.TypeSectionChanged, time.Now(), key, actors.SectionChanged{
			Version: int64(v), Kind: actors.KindReserved, Capacity: 500, Available: 400, Held: 100,
			Changes: []actors.SeatStatusChange{{ID: "A-1-1", Status: actors.SeatHeld}, {ID: "A-1-2", Status: actors.SeatHeld}},
			Chain:   "4f1c0e0a9b3d7c2e5f6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e", AttemptSeq: int64(v),
		})
		if err != nil {
			b.Fatal(err)
		}
		msgs[v] = &sarama.ProducerMessage{Topic: m.Topic, Key: sarama.StringEncoder(m.Key), Value: sarama.ByteEncoder(m.Payload)}
	}
	mu.Lock()
	fetches = 0
	mu.Unlock()
	cpu0 := processCPU(b)
	b.ResetTimer()
	for v := 1; v <= b.N; v++ {
		mu.Lock()
		sent[v] = time.Now()
		mu.Unlock()
		p.Input() <- msgs[v]
		if v%burst == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		b.Fatal("the feed did not deliver every version within a minute")
	}
	b.StopTimer()
	cpu := processCPU(b) - cpu0
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(delays)
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/record")
	b.ReportMetric(float64(fetches)/float64(b.N), "fetches/record")
	b.ReportMetric(float64(delays[len(delays)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(delays[len(delays)-1].Microseconds())/1000, "max-ms")
}

// processCPU returns the CPU time the process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
