package main

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ticketblitz/ticketblitz/events"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// startBenchRelay runs a relay on pool's outbox, publishing to addrs, until stop.
func startBenchRelay(b *testing.B, pool *pgxpool.Pool, addrs []string) (relay *events.Relay, stop func()) {
	p, err := events.NewRelayProducer(addrs, "bench")
	if err != nil {
		b.Fatal(err)
	}
	relay = events.NewRelay(events.RelayConfig{Outbox: persistence.NewOutbox(pool), Producer: p})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()
	return relay, func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
		_ = p.Close()
	}
}
