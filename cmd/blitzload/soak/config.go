package soak

import (
	"fmt"
	"io"
	"time"
)

// Config says how to run a soak.
type Config struct {
	// ServerBin is the ticketblitz binary (built without -race).
	ServerBin string
	// PostgresURL names the PostgreSQL server; the run gets a fresh database.
	PostgresURL string
	RedisURL    string
	JWTSecret   string
	// WorkDir receives the processes' logs, the records and the report.
	WorkDir string
	// Nodes is the cluster's size (default 2).
	Nodes int
	// Duration is how long the mixed sale runs (default 1m); Rate its arrivals of fan
	// journeys per second (default 15).
	Duration time.Duration
	Rate     float64
	// Sections and SeatsPerSection shape the event (default 4 × 2000). The first
	// section draws the most journeys.
	Sections        int
	SeatsPerSection int
	// Users is how many fans share the journeys (default 1000).
	Users int
	// HoldTTL is the nodes' hold TTL (default 15s); holds left alone expire after it.
	HoldTTL time.Duration
	// The nodes' retention settings (defaults 10m, 30s, 30s: the shortest the server
	// allows for idempotency keys, short enough for the others that pruning shows).
	IdempotencyRetention, OutboxRetention, NotificationsRetention time.Duration
	// SampleEvery is the time between samples (default: a twelfth of Duration, from
	// 2s to 1m).
	SampleEvery time.Duration
	// ExpirySlack is how long past its expiry a hold may still be held (default 10s).
	ExpirySlack time.Duration
	// BurstHolds is how many single-seat holds are placed on the busiest section just
	// before the kill, so that it is activated again with many live holds (default 200).
	BurstHolds int
	// MaxInFlight bounds the journeys under way; an arrival beyond it is skipped and
	// counted (default 200).
	MaxInFlight int
	// PostgresPool caps each node's database connections (default 6).
	PostgresPool int
	// Seed makes the journeys' choices reproducible (default 1).
	Seed uint64
	// KeepDatabase keeps the run's database.
	KeepDatabase bool
	// Progress receives one line per step (default: discarded).
	Progress io.Writer
}

// withDefaults returns a copy of c with every unset field filled in.
func (c Config) withDefaults() Config {
	defI := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defI(&c.Nodes, 2)
	defI(&c.Sections, 4)
	defI(&c.SeatsPerSection, 2000)
	defI(&c.Users, 1000)
	defI(&c.BurstHolds, 200)
	defI(&c.MaxInFlight, 200)
	defI(&c.PostgresPool, 6)
	defD(&c.Duration, time.Minute)
	defD(&c.HoldTTL, 15*time.Second)
	defD(&c.IdempotencyRetention, 10*time.Minute)
	defD(&c.OutboxRetention, 30*time.Second)
	defD(&c.NotificationsRetention, 30*time.Second)
	defD(&c.ExpirySlack, 10*time.Second)
	defD(&c.SampleEvery, min(max(c.Duration/12, 2*time.Second), time.Minute))
	if c.Rate <= 0 {
		c.Rate = 15
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.ServerBin == "":
		return fmt.Errorf("soak: no server binary")
	case c.PostgresURL == "" || c.RedisURL == "" || c.JWTSecret == "":
		return fmt.Errorf("soak: postgres url, redis url and jwt secret are required")
	case c.WorkDir == "":
		return fmt.Errorf("soak: no work directory")
	case c.Nodes < 2:
		return fmt.Errorf("soak: %d nodes: the kill needs a survivor, so at least 2", c.Nodes)
	case c.Sections > 40:
		return fmt.Errorf("soak: %d sections: at most 40", c.Sections)
	case c.SeatsPerSection > maxRows*rowSeats:
		return fmt.Errorf("soak: %d seats per section: at most %d", c.SeatsPerSection, maxRows*rowSeats)
	case c.HoldTTL < time.Second:
		return fmt.Errorf("soak: hold TTL %v: at least 1s", c.HoldTTL)
	case c.Rate > 10000:
		return fmt.Errorf("soak: rate %g: at most 10000 journeys/s", c.Rate)
	}
	return nil
}

// env is the nodes' extra settings.
func (c Config) env() []string {
	return []string{
		"TICKETBLITZ_IDEMPOTENCY_RETENTION=" + c.IdempotencyRetention.String(),
		"TICKETBLITZ_OUTBOX_RETENTION=" + c.OutboxRetention.String(),
		"TICKETBLITZ_NOTIFICATIONS_RETENTION=" + c.NotificationsRetention.String(),
	}
}

func (c Config) progress() io.Writer {
	if c.Progress == nil {
		return io.Discard
	}
	return c.Progress
}
