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

// The producers' retry policy: sarama retries a request that failed with a retriable
// error (NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, a lost connection…) with an
// exponential backoff, then reports the failure.
//
// The synchronous producer gives up after producerRetries. The relay's producer retries
// relayProducerRetries times, about 17 minutes at the capped backoff, which is as good as
// without a bound: an idempotent producer that gives up on a request starts a new
// producer epoch, and the partition's next request, sent under it, lands before the
// failed records are sent again, so the stream would hold later records before earlier
// ones. Retrying instead holds the partition's later records back (sarama keeps one
// request in flight per broker and retries a failed one before the requests behind it)
// until the broker takes the failed request. sarama keeps a small slice per partition
// and retry level, which is why the count is not unbounded.
const (
	producerRetries        = 5
	relayProducerRetries   = 1000
	producerBackoffInitial = 50 * time.Millisecond
	producerBackoffMax     = 1 * time.Second
	relayLinger            = time.Millisecond
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

// NewRelayProducer returns the relay's producer: idempotent and asynchronous, returning
// every success and error, retrying retriable errors relayProducerRetries times (see
// there) with NewProducer's backoff. With idempotence
// sarama allows one request in flight per broker (Net.MaxOpenRequests = 1); records
// queue behind it and go out together in the next request, so a slow broker costs a
// round trip per request, not per record, and a partition's requests stay in order.
//
// It lingers relayLinger before sending a request, so that a round of one stream's
// records, handed over one after the other, goes out in one request: a request that
// fails then fails the round whole, and nothing of it overtakes the failure.
func NewRelayProducer(brokers []string, clientID string) (sarama.AsyncProducer, error) {
	cfg := producerConfig(clientID)
	cfg.Producer.Flush.Frequency = relayLinger
	cfg.Producer.Retry.Max = relayProducerRetries
	p, err := sarama.NewAsyncProducer(brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect kafka producer to %v: %w", brokers, err)
	}
	return p, nil
}

func producerConfig(clientID string) *sarama.Config {
	cfg := newSaramaConfig(clientID)
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
