package events

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// DefaultPartitions is how many partitions the in-process broker gives each topic.
const DefaultPartitions = 3

// BrokerConfig configures the in-process broker. The zero value listens on a free
// loopback port.
type BrokerConfig struct {
	// Addr is the "host:port" to listen on; "" or "127.0.0.1:0" picks a free port.
	// Clients are told to connect to the listening address, so a wildcard host such as
	// 0.0.0.0 only suits clients on the same machine.
	Addr string
	// Partitions per topic; DefaultPartitions when zero. A broker that reloads its
	// topics from DataDir keeps the partition counts it had.
	Partitions int32
	// DataDir, when set, makes the broker keep its topics, records, consumer offsets
	// and producer state on disk and reload them when started again on the same
	// directory. Empty keeps everything in memory.
	DataDir string
	// Retention is how long the broker keeps a record: older batches, and the oldest
	// ones past BrokerPartitionBytes in a partition, are dropped every retention/10 (at
	// least every second, at most every minute), so that a broker that runs for hours
	// holds a bounded window of the stream, not all of it. Zero means
	// DefaultBrokerRetention; negative keeps every record.
	Retention time.Duration
	// Logger receives the broker's start and stop lines; nil means no logging.
	Logger *zap.Logger
}

// DefaultBrokerRetention is how long the in-process broker keeps records unless told
// otherwise: long enough for any consumer of a running node to catch up, short enough
// that the stream's memory stays bounded.
const DefaultBrokerRetention = 15 * time.Minute

// BrokerPartitionBytes bounds what the in-process broker keeps of each partition when
// it has a retention: a fast sale fills memory by size long before it does by time.
const BrokerPartitionBytes = 8 << 20

// brokerSegmentBytes is the size at which the in-process broker starts a new segment of
// a partition: what it drops past the retention goes a segment at a time.
const brokerSegmentBytes = 1 << 20

// Broker is an in-process, single-node Kafka-protocol broker with every topic of
// actors.Topics created. Without a DataDir it forgets everything when closed.
type Broker struct {
	cluster *kfake.Cluster
	addrs   []string
	log     *zap.Logger
	closing sync.Once
	// stop ends the retention loop, which closes done when it has.
	stop, done chan struct{}
}

// applyRetention drops the batches older than the retention every interval until the
// broker closes.
func (b *Broker) applyRetention(every time.Duration) {
	defer close(b.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.cluster.ApplyRetention()
		}
	}
}

// StartBroker starts a broker listening on cfg.Addr.
func StartBroker(cfg BrokerConfig) (*Broker, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("broker address %q: %w", addr, err)
	}
	partitions := cfg.Partitions
	if partitions <= 0 {
		partitions = DefaultPartitions
	}
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, addr)
		}),
		kfake.SeedTopics(partitions, append(slices.Clip(actors.Topics), TopicVisualizerTraces)...),
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	retention := cfg.Retention
	if retention == 0 {
		retention = DefaultBrokerRetention
	}
	if retention > 0 {
		opts = append(opts, kfake.BrokerConfigs(map[string]string{
			"log.retention.ms":    strconv.FormatInt(retention.Milliseconds(), 10),
			"log.retention.bytes": strconv.Itoa(BrokerPartitionBytes),
			// Retention frees memory a whole segment at a time, so segments are small.
			"log.segment.bytes": strconv.Itoa(brokerSegmentBytes),
			"log.roll.ms":       strconv.FormatInt(max(retention.Milliseconds()/4, 1000), 10),
		}))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start in-process kafka broker on %s: %w", addr, err)
	}
	b := &Broker{cluster: cluster, addrs: cluster.ListenAddrs(), log: log, stop: make(chan struct{}), done: make(chan struct{})}
	if retention > 0 {
		go b.applyRetention(min(max(retention/10, time.Second), time.Minute))
	} else {
		close(b.done)
	}
	log.Info("in-process kafka broker started", zap.Strings("addrs", b.addrs), zap.Int32("partitions", partitions),
		zap.Duration("retention", retention))
	return b, nil
}

// Addrs returns the "host:port" addresses clients connect to.
func (b *Broker) Addrs() []string { return append([]string(nil), b.addrs...) }

// Cluster exposes the underlying kfake cluster, for tests that inject faults.
func (b *Broker) Cluster() *kfake.Cluster { return b.cluster }

// Close stops the broker and drops every record it held. It is safe to call twice.
func (b *Broker) Close() {
	b.closing.Do(func() {
		close(b.stop)
		<-b.done
		b.cluster.Close()
		b.log.Info("in-process kafka broker stopped", zap.Strings("addrs", b.addrs))
	})
}
