package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// DefaultNotificationsGroup is the consumer group of the notifications log.
const DefaultNotificationsGroup = "ticketblitz-notifications"

// ConsumerConfig configures the notifications consumer. Brokers and Sink are required.
type ConsumerConfig struct {
	// Brokers are the "host:port" addresses to bootstrap from.
	Brokers []string
	// GroupID is the consumer group; DefaultNotificationsGroup when empty. Every node
	// joins the same group, so each record is handled by one of them.
	GroupID string
	// ClientID names this client to the broker; sarama's default when empty.
	ClientID string
	// Sink records each envelope.
	Sink NotificationSink
	// Logger is used under the name the caller gave it; nil means no logging.
	Logger *zap.Logger
	// Topics to consume; actors.DomainTopics when empty.
	Topics []string
	// MaxBackoff caps the exponential backoff after a failure of the sink or the
	// broker. DefaultMaxBackoff when zero.
	MaxBackoff time.Duration
}

// Notifications consumes every TicketBlitz topic in a consumer group and records each
// envelope through the sink. A record's offset is marked only after the sink stored it,
// so a crash or rebalance redelivers rather than loses; the sink's idempotency by
// envelope id makes redelivery harmless.
type Notifications struct {
	cfg     ConsumerConfig
	log     *zap.Logger
	group   sarama.ConsumerGroup
	closing sync.Once
	closed  error
}

// withDefaults returns a copy of c with every unset optional field filled in.
func (c ConsumerConfig) withDefaults() ConsumerConfig {
	if c.GroupID == "" {
		c.GroupID = DefaultNotificationsGroup
	}
	if len(c.Topics) == 0 {
		c.Topics = append([]string(nil), actors.DomainTopics...)
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// NewNotifications connects the consumer group client; call Run to consume.
func NewNotifications(cfg ConsumerConfig) (*Notifications, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("notifications consumer: no brokers")
	}
	if cfg.Sink == nil {
		return nil, errors.New("notifications consumer: no sink")
	}
	cfg = cfg.withDefaults()
	scfg := consumerConfig(cfg.ClientID)
	scfg.Consumer.Fetch.Min = notificationsFetchMin
	scfg.Consumer.MaxWaitTime = notificationsMaxWait
	group, err := sarama.NewConsumerGroup(cfg.Brokers, cfg.GroupID, scfg)
	if err != nil {
		return nil, fmt.Errorf("connect consumer group %q to %v: %w", cfg.GroupID, cfg.Brokers, err)
	}
	return &Notifications{cfg: cfg, log: cfg.Logger, group: group}, nil
}

func consumerConfig(clientID string) *sarama.Config {
	cfg := newSaramaConfig(clientID)
	cfg.Net.DialTimeout = 2 * time.Second
	cfg.Metadata.Retry.Max = 2
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = true
	cfg.Consumer.Offsets.AutoCommit.Interval = time.Second
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky()}
	return cfg
}

// Run consumes until ctx is done, then leaves the group (committing the marked
// offsets) and returns nil. Broker and sink failures are logged and retried.
func (n *Notifications) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for err := range n.group.Errors() {
			n.log.Warn("consumer group error", zap.Error(err))
		}
	}()
	defer wg.Wait()
	defer n.Close()

	handler := &notificationHandler{sink: n.cfg.Sink, log: n.log, maxBackoff: n.cfg.MaxBackoff}
	return consumeLoop(ctx, n.group, n.cfg.Topics, handler, n.log, n.cfg.MaxBackoff)
}

// consumeLoop runs group sessions until ctx ends or the group is closed, backing off
// after failures and logging the first failure of an outage and the recovery once.
func consumeLoop(ctx context.Context, group sarama.ConsumerGroup, topics []string, handler sarama.ConsumerGroupHandler, log *zap.Logger, maxBackoff time.Duration) error {
	failures := 0
	for ctx.Err() == nil {
		err := group.Consume(ctx, topics, handler)
		if errors.Is(err, sarama.ErrClosedConsumerGroup) {
			return nil
		}
		if err != nil && ctx.Err() == nil {
			failures++
			if failures == 1 {
				log.Error("consume failed; retrying", zap.Strings("topics", topics), zap.Error(err))
			}
			sleep(ctx, backoffDelay(backoffInitial, maxBackoff, failures-1), nil)
			continue
		}
		if failures > 0 {
			log.Info("consuming again", zap.Strings("topics", topics), zap.Int("failed_attempts", failures))
			failures = 0
		}
	}
	return nil
}

// Close leaves the group and closes the client. Run calls it on return; it is safe to
// call more than once.
func (n *Notifications) Close() error {
	n.closing.Do(func() {
		if err := n.group.Close(); err != nil {
			n.closed = fmt.Errorf("close consumer group %q: %w", n.cfg.GroupID, err)
		}
	})
	return n.closed
}

// notificationHandler is the sarama handler of one consumer group session.
type notificationHandler struct {
	sink       NotificationSink
	log        *zap.Logger
	maxBackoff time.Duration
}

// Setup implements sarama.ConsumerGroupHandler.
func (h *notificationHandler) Setup(sarama.ConsumerGroupSession) error { return nil }

// Cleanup implements sarama.ConsumerGroupHandler.
func (h *notificationHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

// The notifications consumer lets the broker gather records for a fetch: until
// notificationsFetchMin bytes are there, or for notificationsMaxWait. During a rush each
// fetch, its protocol encoding and decoding and the sink's write then carry hundreds of
// records instead of a handful; a notification is recorded at most that wait later.
const (
	notificationsFetchMin = 64 << 10
	notificationsMaxWait  = 100 * time.Millisecond
)

// notificationBatch bounds how many messages one sink call records.
const notificationBatch = 500

// ConsumeClaim records the messages of one partition in order, in batches of what has
// already arrived, marking them after the sink succeeded. It returns when the session ends.
func (h *notificationHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	ctx := sess.Context()
	batch := make([]*sarama.ConsumerMessage, 0, notificationBatch)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			batch = append(batch, msg)
		}
	drain:
		for len(batch) < notificationBatch {
			select {
			case msg, ok := <-claim.Messages():
				if !ok {
					break drain
				}
				batch = append(batch, msg)
			default:
				break drain
			}
		}
		if !h.record(ctx, batch) {
			return nil
		}
		sess.MarkMessage(batch[len(batch)-1], "")
	}
}

// record stores a batch of messages, retrying the sink until it succeeds. It returns
// false when the session ended first; the messages are then left unmarked and are
// redelivered. A value that is not an envelope is logged and skipped, so one bad record
// cannot stall its partition.
func (h *notificationHandler) record(ctx context.Context, msgs []*sarama.ConsumerMessage) bool {
	ns := make([]actors.Notification, 0, len(msgs))
	for _, msg := range msgs {
		id, typ, err := envelopeHead(msg.Value)
		if err != nil || id == "" {
			if err == nil {
				err = errors.New("envelope has no id")
			}
			h.log.Warn("skipping a record that is not an envelope",
				zap.String("topic", msg.Topic), zap.Int32("partition", msg.Partition), zap.Int64("offset", msg.Offset), zap.Error(err))
			continue
		}
		ns = append(ns, actors.Notification{EnvelopeID: id, Topic: msg.Topic, Key: string(msg.Key), Type: typ,
			Partition: msg.Partition, Offset: msg.Offset, Payload: msg.Value})
	}
	if len(ns) == 0 {
		return true
	}
	for attempt := 0; ; attempt++ {
		err := h.sink.RecordNotifications(ctx, ns)
		if err == nil {
			if attempt > 0 {
				h.log.Info("notifications recorded after retries", zap.Int("records", len(ns)), zap.Int("attempts", attempt+1))
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if attempt == 0 {
			h.log.Error("record notifications failed; retrying", zap.Int("records", len(ns)), zap.Error(err))
		}
		sleep(ctx, backoffDelay(50*time.Millisecond, h.maxBackoff, attempt), nil)
	}
}
