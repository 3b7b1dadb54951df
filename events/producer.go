package events

import (
	"fmt"
	"time"

	"github.com/IBM/sarama"
)

// protocolVersion is the protocol level TicketBlitz's clients speak. Both the
// in-process broker and Kafka 3.x/4.x accept it, and it is high enough for idempotent
// produce.
func protocolVersion() sarama.KafkaVersion { return sarama.V2_8_0_0 }

// The producer's retry policy: sarama retries a failed request a few times with an
// exponential backoff, then reports the failure. The relay keeps the records pending
// and tries again later, so sarama's own retries only need to ride out short blips.
const (
	producerRetries        = 5
	producerBackoffInitial = 50 * time.Millisecond
	producerBackoffMax     = 1 * time.Second
)

// NewProducer returns an idempotent, synchronous producer: every send waits for all
// in-sync replicas, at most one request is in flight per broker, and records are
// partitioned by a hash of their key, so the records of one "<event>/<section>" key land
// in one partition in the order they were sent.
func NewProducer(brokers []string, clientID string) (sarama.SyncProducer, error) {
	p, err := sarama.NewSyncProducer(brokers, producerConfig(clientID))
	if err != nil {
		return nil, fmt.Errorf("connect kafka producer to %v: %w", brokers, err)
	}
	return p, nil
}

func producerConfig(clientID string) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = protocolVersion()
	if clientID != "" {
		cfg.ClientID = clientID
	}
	cfg.Net.MaxOpenRequests = 1
	cfg.Net.DialTimeout = 2 * time.Second
	cfg.Net.ReadTimeout = 5 * time.Second
	cfg.Net.WriteTimeout = 5 * time.Second
	cfg.Metadata.Retry.Max = 2
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Timeout = 5 * time.Second
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	cfg.Producer.Retry.Max = producerRetries
	cfg.Producer.Retry.BackoffFunc = exponentialBackoff(producerBackoffInitial, producerBackoffMax)
	cfg.Producer.Return.Successes = true
	cfg.Producer.Return.Errors = true
	return cfg
}

// exponentialBackoff doubles from initial per retry, capped at ceiling.
func exponentialBackoff(initial, ceiling time.Duration) func(retries, maxRetries int) time.Duration {
	return func(retries, _ int) time.Duration {
		return backoffDelay(initial, ceiling, retries)
	}
}
