package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// TopicVisualizerTraces carries every node's visualizer traces to every other node, so
// that whichever node serves the visualizer shows the whole cluster. It is lossy by
// design: nothing a sale does waits for it.
const TopicVisualizerTraces = "visualizer.traces"

// TraceShareGroupPrefix starts the consumer group id of every trace share.
const TraceShareGroupPrefix = "ticketblitz-traces-"

// DefaultTraceShareQueue is how many traces may wait for the producer.
const DefaultTraceShareQueue = 1024

// TraceShareConfig configures a TraceShare. Brokers, Node and Handler are required.
type TraceShareConfig struct {
	// Brokers are the "host:port" addresses to bootstrap from.
	Brokers []string
	// Node names this node: the record key of its traces and part of its group id.
	Node string
	// Handler receives every record of the topic, this node's own included, from one
	// goroutine per partition. It must not block.
	Handler func(raw []byte)
	// Queue is how many traces may wait for the producer; DefaultTraceShareQueue when zero.
	Queue int
	// Logger is used under the name the caller gave it; nil means no logging.
	Logger *zap.Logger
}

// TraceShare publishes this node's traces to TopicVisualizerTraces and reads every
// node's back. Publish never blocks: a trace that finds the queue full, or the broker
// away, is dropped and counted. The producer asks for no acknowledgement and does not
// retry; the reader, alone in a consumer group of its own, starts at the newest offset.
type TraceShare struct {
	cfg      TraceShareConfig
	log      *zap.Logger
	in       chan []byte
	dropped  atomic.Int64
	producer sarama.AsyncProducer
	group    sarama.ConsumerGroup
	closing  sync.Once
}

// NewTraceShare connects the producer and the consumer group; call Run to start.
func NewTraceShare(cfg TraceShareConfig) (*TraceShare, error) {
	var problems []error
	if len(cfg.Brokers) == 0 {
		problems = append(problems, errors.New("no brokers"))
	}
	if cfg.Node == "" {
		problems = append(problems, errors.New("no node name"))
	}
	if cfg.Handler == nil {
		problems = append(problems, errors.New("no handler"))
	}
	if cfg.Queue < 0 {
		problems = append(problems, fmt.Errorf("queue %d is negative", cfg.Queue))
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("trace share: %w", err)
	}
	if cfg.Queue == 0 {
		cfg.Queue = DefaultTraceShareQueue
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	pcfg := newSaramaConfig(cfg.Node + "-traces")
	pcfg.Net.DialTimeout = 2 * time.Second
	pcfg.Producer.RequiredAcks = sarama.NoResponse
	pcfg.Producer.Retry.Max = 0
	pcfg.Producer.Partitioner = sarama.NewHashPartitioner
	pcfg.Producer.Flush.Frequency = 20 * time.Millisecond
	pcfg.Producer.Return.Successes = false
	pcfg.Producer.Return.Errors = false
	producer, err := sarama.NewAsyncProducer(cfg.Brokers, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connect trace producer to %v: %w", cfg.Brokers, err)
	}
	groupID := TraceShareGroupPrefix + cfg.Node + "-" + actors.NewID("")
	group, err := sarama.NewConsumerGroup(cfg.Brokers, groupID, traceReaderConfig(cfg.Node+"-traces"))
	if err != nil {
		_ = producer.Close()
		return nil, fmt.Errorf("connect trace reader %q to %v: %w", groupID, cfg.Brokers, err)
	}
	return &TraceShare{
		cfg: cfg, log: cfg.Logger.With(zap.String("group", groupID)),
		in: make(chan []byte, cfg.Queue), producer: producer, group: group,
	}, nil
}

// traceShareMaxWait bounds how long a fetch of the trace reader waits for
// traceFetchMin bytes of traces. Traces are for people watching the visualizer, for
// whom a tenth of a second is nothing.
const traceShareMaxWait = 100 * time.Millisecond

// traceFetchMin is how many bytes of traces a fetch of the trace reader waits for (or
// traceShareMaxWait): during a rush, a fetch carries many traces, not a handful.
const traceFetchMin = 16 << 10

// traceReaderConfig is the live feed's config, waiting for traceFetchMin bytes or
// traceShareMaxWait.
func traceReaderConfig(clientID string) *sarama.Config {
	cfg := liveFeedConfig(clientID)
	cfg.Consumer.Fetch.Min = traceFetchMin
	cfg.Consumer.MaxWaitTime = traceShareMaxWait
	return cfg
}

// Publish queues raw for the other nodes without blocking.
func (s *TraceShare) Publish(raw []byte) {
	select {
	case s.in <- raw:
	default:
		s.dropped.Add(1)
	}
}

// Dropped counts the traces Publish found no room for.
func (s *TraceShare) Dropped() int64 { return s.dropped.Load() }

// Run produces the queued traces and consumes the topic until ctx is done, then
// closes both clients and returns nil.
func (s *TraceShare) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for err := range s.group.Errors() {
			s.log.Debug("trace reader error", zap.Error(err))
		}
	}()
	// The producing goroutine has its own context and is waited for before the producer
	// closes: AsyncClose closes the producer's input, which must then have no sender.
	produceCtx, stopProducing := context.WithCancel(ctx)
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		s.produce(produceCtx)
	}()
	err := consumeLoop(ctx, s.group, []string{TopicVisualizerTraces}, traceShareHandler{s.cfg.Handler}, s.log, DefaultMaxBackoff)
	stopProducing()
	<-produced
	s.close()
	wg.Wait()
	return err
}

// produce hands the queued traces to the producer until ctx ends.
func (s *TraceShare) produce(ctx context.Context) {
	key := sarama.StringEncoder(s.cfg.Node)
	for {
		select {
		case <-ctx.Done():
			return
		case raw := <-s.in:
			select {
			case s.producer.Input() <- &sarama.ProducerMessage{Topic: TopicVisualizerTraces, Key: key, Value: sarama.ByteEncoder(raw)}:
			case <-ctx.Done():
				return
			}
		}
	}
}

func (s *TraceShare) close() {
	s.closing.Do(func() {
		if err := s.group.Close(); err != nil {
			s.log.Debug("close trace reader", zap.Error(err))
		}
		s.producer.AsyncClose()
	})
}

// traceShareHandler hands each record to the handler.
type traceShareHandler struct{ handle func([]byte) }

func (traceShareHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (traceShareHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h traceShareHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case <-sess.Context().Done():
			return nil
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			h.handle(msg.Value)
		}
	}
}
