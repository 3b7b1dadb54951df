package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// LiveFeedGroupPrefix starts the consumer group id of every live feed.
const LiveFeedGroupPrefix = "ticketblitz-live-"

// The live feed's fetches are long polls: the broker answers a fetch as soon as
// liveFetchMin bytes of records are there (one record), or after liveMaxWait without
// one. A delta reaches the node as soon as the broker has it, and an idle node asks the
// broker twice a second. Waiting for 16 KiB or 10 ms instead (BenchmarkLiveFeedRush
// measures both: fetches and CPU per version, and the delay) made a rush's fetches
// fuller and the Kafka path's CPU per version a quarter to a third lower, but delayed
// every delta by up to 10 ms when few came, and its hundred fetches a second were more
// than half of an idle node's CPU; the flash rush's CPU per decision did not tell the
// two apart.
const (
	liveMaxWait  = 500 * time.Millisecond
	liveFetchMin = 1
)

// LiveFeedConfig configures a LiveFeed. Brokers, Node and Handler are required.
type LiveFeedConfig struct {
	// Brokers are the "host:port" addresses to bootstrap from.
	Brokers []string
	// Node names this node; it is part of the consumer group id and the client id.
	Node string
	// Handler receives each committed section version, in version order per section.
	// It is called from one goroutine per partition and must not block: the websocket
	// hub fans the delta out without waiting for any client.
	Handler func(eventID, sectionID string, ch actors.SectionChanged)
	// Bookings, when set, also receives every confirmed order (topic booking.created),
	// under the same rules as Handler: the visualizer checks its seats are sold.
	Bookings func(eventID, sectionID string, b actors.BookingCreated)
	// Logger is used under the name the caller gave it; nil means no logging.
	Logger *zap.Logger
	// GroupID overrides the consumer group; by default LiveFeedGroupPrefix, the node
	// name and a random suffix, new for every feed.
	GroupID string
	// MaxBackoff caps the backoff between failed attempts to consume;
	// DefaultMaxBackoff when zero.
	MaxBackoff time.Duration
}

// LiveFeed reads topic section.changed and hands every committed section version to
// the handler. Each feed is alone in a consumer group of its own, so every node reads
// every partition, whichever node hosts a section: a fan's websocket can be on any
// node. A new feed starts at the newest offset (its subscribers start from a snapshot
// anyway); within one feed, offsets are committed, so a reconnect after a Kafka outage
// resumes where it stopped instead of leaving a gap.
type LiveFeed struct {
	cfg     LiveFeedConfig
	log     *zap.Logger
	group   sarama.ConsumerGroup
	ready   chan struct{}
	readied sync.Once
	closing sync.Once
	closed  error
}

// withDefaults returns a copy of c with every unset optional field filled in; an
// unset GroupID becomes a new random one.
func (c LiveFeedConfig) withDefaults() LiveFeedConfig {
	if c.GroupID == "" {
		c.GroupID = LiveFeedGroupPrefix + c.Node + "-" + actors.NewID("")
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// NewLiveFeed connects the consumer group client; call Run to consume.
func NewLiveFeed(cfg LiveFeedConfig) (*LiveFeed, error) {
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
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("live feed: %w", err)
	}
	cfg = cfg.withDefaults()
	group, err := sarama.NewConsumerGroup(cfg.Brokers, cfg.GroupID, liveFeedConfig(cfg.Node))
	if err != nil {
		return nil, fmt.Errorf("connect live feed %q to %v: %w", cfg.GroupID, cfg.Brokers, err)
	}
	return &LiveFeed{
		cfg:   cfg,
		log:   cfg.Logger.With(zap.String("group", cfg.GroupID)),
		group: group,
		ready: make(chan struct{}),
	}, nil
}

func liveFeedConfig(clientID string) *sarama.Config {
	cfg := consumerConfig(clientID)
	cfg.Consumer.Offsets.Initial = sarama.OffsetNewest
	cfg.Consumer.MaxWaitTime = liveMaxWait
	cfg.Consumer.Fetch.Min = liveFetchMin
	return cfg
}

// GroupID returns the feed's consumer group.
func (f *LiveFeed) GroupID() string { return f.cfg.GroupID }

// Ready is closed once the feed has been assigned its partitions and knows the offsets
// it starts from: every record produced after that reaches the handler.
func (f *LiveFeed) Ready() <-chan struct{} { return f.ready }

// Run consumes until ctx is done, then leaves the group and returns nil. Broker
// failures are logged and retried.
func (f *LiveFeed) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for err := range f.group.Errors() {
			f.log.Warn("live feed error", zap.Error(err))
		}
	}()
	defer wg.Wait()
	defer f.Close()

	handler := &liveHandler{feed: f}
	topics := []string{actors.TopicSectionChanged}
	if f.cfg.Bookings != nil {
		topics = append(topics, actors.TopicBookingCreated)
	}
	return consumeLoop(ctx, f.group, topics, handler, f.log, f.cfg.MaxBackoff)
}

// Close leaves the group and closes the client. Run calls it on return; it is safe to
// call more than once.
func (f *LiveFeed) Close() error {
	f.closing.Do(func() {
		if err := f.group.Close(); err != nil {
			f.closed = fmt.Errorf("close live feed %q: %w", f.cfg.GroupID, err)
		}
	})
	return f.closed
}

// liveHandler is the sarama handler of the feed's group sessions.
type liveHandler struct {
	feed *LiveFeed
	// waiting counts the session's partitions whose claim has not started yet.
	waiting atomic.Int64
}

// Setup implements sarama.ConsumerGroupHandler.
func (h *liveHandler) Setup(sess sarama.ConsumerGroupSession) error {
	n := 0
	for _, partitions := range sess.Claims() {
		n += len(partitions)
	}
	h.waiting.Store(int64(n))
	return nil
}

// Cleanup implements sarama.ConsumerGroupHandler.
func (h *liveHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

// ConsumeClaim hands each record of one partition to the handler, in order. sarama
// resolves the claim's starting offset before calling it, so once every claim of the
// session has started, the feed is ready.
func (h *liveHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	if h.waiting.Add(-1) == 0 {
		h.feed.readied.Do(func() { close(h.feed.ready) })
	}
	ctx := sess.Context()
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			h.feed.deliver(msg)
			sess.MarkMessage(msg, "")
		}
	}
}

// deliver decodes one record and calls the handler (Bookings for a BookingCreated
// envelope). A record that is neither is logged and skipped, so that it cannot stall its
// partition.
func (f *LiveFeed) deliver(msg *sarama.ConsumerMessage) {
	var env actors.Envelope
	err := json.Unmarshal(msg.Value, &env)
	if err == nil && env.Type == actors.TypeBookingCreated && f.cfg.Bookings != nil {
		f.deliverBooking(msg, env)
		return
	}
	if err == nil && env.Type != actors.TypeSectionChanged {
		err = fmt.Errorf("envelope type %q", env.Type)
	}
	var ch actors.SectionChanged
	if err == nil {
		err = json.Unmarshal(env.Data, &ch)
	}
	if err == nil && (env.EventID == "" || env.SectionID == "") {
		err = errors.New("envelope names no section")
	}
	if err != nil {
		f.log.Warn("skipping a record that is not a section change",
			zap.Int32("partition", msg.Partition), zap.Int64("offset", msg.Offset), zap.Error(err))
		return
	}
	f.cfg.Handler(env.EventID, env.SectionID, ch)
}

// deliverBooking decodes a BookingCreated envelope and calls Bookings.
func (f *LiveFeed) deliverBooking(msg *sarama.ConsumerMessage, env actors.Envelope) {
	var b actors.BookingCreated
	err := json.Unmarshal(env.Data, &b)
	if err == nil && (env.EventID == "" || env.SectionID == "") {
		err = errors.New("envelope names no section")
	}
	if err != nil {
		f.log.Warn("skipping a booking record that does not decode",
			zap.Int32("partition", msg.Partition), zap.Int64("offset", msg.Offset), zap.Error(err))
		return
	}
	f.cfg.Bookings(env.EventID, env.SectionID, b)
}
