package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"golang.org/x/sync/errgroup"
)

// readParallelism bounds how many partitions Read consumes at once.
const readParallelism = 8

// Read consumes every given topic from the start up to its high-water mark at the time
// of the call, all partitions, and returns the records ordered by topic (as given),
// partition and offset. Topics that do not exist yet count as empty; Read never
// creates them. It stops with an error when ctx ends.
//
// Read expects a log without transaction markers, as the server's idempotent (not
// transactional) producer writes: it stops at the record just below the high-water
// mark, which a marker would hide.
func Read(ctx context.Context, brokers []string, topics []string) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	client, err := sarama.NewClient(brokers, readerConfig())
	if err != nil {
		return nil, fmt.Errorf("connect to kafka %v: %w", brokers, err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer: %w", err)
	}
	defer consumer.Close()

	existing, err := existingTopics(client)
	if err != nil {
		return nil, err
	}
	var ranges []partitionRange
	for _, topic := range topics {
		if !existing[topic] {
			continue
		}
		rs, err := topicRanges(client, topic)
		if err != nil {
			return nil, err
		}
		ranges = append(ranges, rs...)
	}

	parts := make([][]Message, len(ranges))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readParallelism)
	for i, r := range ranges {
		g.Go(func() error {
			msgs, err := consumeRange(gctx, consumer, r)
			parts[i] = msgs
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Message
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}

func readerConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.ClientID = "blitzload-stream-audit"
	cfg.Metadata.AllowAutoTopicCreation = false
	cfg.Metadata.Retry.Max = 2
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	cfg.Net.DialTimeout = 3 * time.Second
	cfg.Net.ReadTimeout = 10 * time.Second
	cfg.Net.WriteTimeout = 10 * time.Second
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	return cfg
}

// existingTopics asks the cluster which topics exist now.
func existingTopics(client sarama.Client) (map[string]bool, error) {
	if err := client.RefreshMetadata(); err != nil {
		return nil, fmt.Errorf("kafka metadata: %w", err)
	}
	names, err := client.Topics()
	if err != nil {
		return nil, fmt.Errorf("list kafka topics: %w", err)
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

// partitionRange is the offsets [from, to) of one partition to read.
type partitionRange struct {
	topic     string
	partition int32
	from, to  int64
}

// topicRanges finds each partition's log start and high-water mark.
func topicRanges(client sarama.Client, topic string) ([]partitionRange, error) {
	partitions, err := client.Partitions(topic)
	if err != nil {
		return nil, fmt.Errorf("partitions of %s: %w", topic, err)
	}
	out := make([]partitionRange, 0, len(partitions))
	for _, p := range partitions {
		from, err := client.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil {
			return nil, fmt.Errorf("log start of %s/%d: %w", topic, p, err)
		}
		to, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return nil, fmt.Errorf("high-water mark of %s/%d: %w", topic, p, err)
		}
		out = append(out, partitionRange{topic: topic, partition: p, from: from, to: to})
	}
	return out, nil
}

// consumeRange reads one partition from r.from until the record at r.to-1.
func consumeRange(ctx context.Context, consumer sarama.Consumer, r partitionRange) ([]Message, error) {
	if r.to <= r.from {
		return nil, nil
	}
	pc, err := consumer.ConsumePartition(r.topic, r.partition, r.from)
	if err != nil {
		return nil, fmt.Errorf("consume %s/%d from %d: %w", r.topic, r.partition, r.from, err)
	}
	out := make([]Message, 0, r.to-r.from)
	var readErr error
	for readErr == nil {
		select {
		case m := <-pc.Messages():
			out = append(out, Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Value: m.Value})
			if m.Offset >= r.to-1 {
				stopPartition(pc)
				return out, nil
			}
		case cerr := <-pc.Errors():
			readErr = fmt.Errorf("read %s/%d: %w", r.topic, r.partition, cerr)
		case <-ctx.Done():
			readErr = fmt.Errorf("read %s/%d up to offset %d: %w", r.topic, r.partition, r.to, ctx.Err())
		}
	}
	stopPartition(pc)
	return nil, readErr
}

// stopPartition closes a partition consumer, draining its channels as sarama
// requires. What they still hold is past the range or repeats an error already seen.
func stopPartition(pc sarama.PartitionConsumer) {
	pc.AsyncClose()
	for range pc.Messages() {
	}
	for range pc.Errors() {
	}
}
