package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
)

// tailFetchWait bounds how long a fetch of the tail reader waits for records.
const tailFetchWait = 10 * time.Millisecond

// Tail reads the envelope ids at the end of topics, so that a relay taking over can tell
// which of the pending outbox records its predecessor published but did not live to mark.
type Tail struct {
	client sarama.Client
}

// NewTail connects to brokers.
func NewTail(brokers []string, clientID string) (*Tail, error) {
	cfg := newSaramaConfig(clientID + "-tail")
	cfg.Net.DialTimeout = 2 * time.Second
	cfg.Net.ReadTimeout = 5 * time.Second
	cfg.Metadata.AllowAutoTopicCreation = false
	cfg.Consumer.Return.Errors = true
	// It reads only records already stored, so a fetch never needs to wait for more:
	// with sarama's default (500 ms) each partition's read could wait that long for the
	// fetch of the one before it, which delayed a takeover's first publish by a second.
	cfg.Consumer.MaxWaitTime = tailFetchWait
	c, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect kafka tail reader to %v: %w", brokers, err)
	}
	return &Tail{client: c}, nil
}

// Close disconnects.
func (t *Tail) Close() error { return t.client.Close() }

// RecentIDs returns the envelope ids of the last perPartition records of every partition
// of topics. Topics that do not exist yet hold nothing.
func (t *Tail) RecentIDs(ctx context.Context, topics []string, perPartition int) (map[string]bool, error) {
	ids := map[string]bool{}
	if err := t.client.RefreshMetadata(); err != nil && !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		return nil, fmt.Errorf("tail: metadata: %w", err)
	}
	existing := map[string]bool{}
	all, err := t.client.Topics()
	if err != nil {
		return nil, fmt.Errorf("tail: topics: %w", err)
	}
	for _, name := range all {
		existing[name] = true
	}
	consumer, err := sarama.NewConsumerFromClient(t.client)
	if err != nil {
		return nil, fmt.Errorf("tail: %w", err)
	}
	defer consumer.Close()
	for _, topic := range topics {
		if !existing[topic] {
			continue
		}
		parts, err := t.client.Partitions(topic)
		if err != nil {
			return nil, fmt.Errorf("tail: partitions of %s: %w", topic, err)
		}
		for _, p := range parts {
			if err := t.readPartition(ctx, consumer, topic, p, perPartition, ids); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

func (t *Tail) readPartition(ctx context.Context, consumer sarama.Consumer, topic string, p int32, n int, ids map[string]bool) error {
	newest, err := t.client.GetOffset(topic, p, sarama.OffsetNewest)
	if err != nil {
		return fmt.Errorf("tail: end of %s/%d: %w", topic, p, err)
	}
	oldest, err := t.client.GetOffset(topic, p, sarama.OffsetOldest)
	if err != nil {
		return fmt.Errorf("tail: start of %s/%d: %w", topic, p, err)
	}
	from := max(oldest, newest-int64(n))
	if from >= newest {
		return nil
	}
	pc, err := consumer.ConsumePartition(topic, p, from)
	if err != nil {
		return fmt.Errorf("tail: read %s/%d: %w", topic, p, err)
	}
	defer pc.Close()
	for {
		select {
		case m := <-pc.Messages():
			var env struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(m.Value, &env) == nil && env.ID != "" {
				ids[env.ID] = true
			}
			if m.Offset >= newest-1 {
				return nil
			}
		case err := <-pc.Errors():
			return fmt.Errorf("tail: read %s/%d: %w", topic, p, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
