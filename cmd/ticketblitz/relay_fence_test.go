package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/events"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// fenceOutbox is a relay's view of the outbox that can lose the database: once cut, its
// lease calls fail as in a network partition, while its marks still reach the database,
// so that the fence, not the partition, is what refuses them. It records every mark.
type fenceOutbox struct {
	*persistence.Outbox
	cut      atomic.Bool
	mu       sync.Mutex
	marked   map[int64]bool // ids of marks the database accepted
	acquired time.Time      // when an acquisition last succeeded
}

func newFenceOutbox(pool *pgxpool.Pool) *fenceOutbox {
	return &fenceOutbox{Outbox: persistence.NewOutbox(pool), marked: make(map[int64]bool)}
}

var errCut = errors.New("relay cut off from the database")

func (o *fenceOutbox) AcquireRelayLease(ctx context.Context, owner string, ttl time.Duration) (int64, bool, error) {
	if o.cut.Load() {
		return 0, false, errCut
	}
	token, ok, err := o.Outbox.AcquireRelayLease(ctx, owner, ttl)
	if ok {
		o.mu.Lock()
		o.acquired = time.Now()
		o.mu.Unlock()
	}
	return token, ok, err
}

func (o *fenceOutbox) RenewRelayLease(ctx context.Context, token int64, ttl time.Duration) (bool, error) {
	if o.cut.Load() {
		return false, errCut
	}
	return o.Outbox.RenewRelayLease(ctx, token, ttl)
}

func (o *fenceOutbox) MarkPublished(ctx context.Context, token int64, ids []int64) (bool, error) {
	ok, err := o.Outbox.MarkPublished(ctx, token, ids)
	if ok && err == nil {
		o.mu.Lock()
		for _, id := range ids {
			o.marked[id] = true
		}
		o.mu.Unlock()
	}
	return ok, err
}

func (o *fenceOutbox) acquiredAt() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.acquired
}

func (o *fenceOutbox) wasMarked(id int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.marked[id]
}

// sendSpy records when a relay handed each envelope to the producer.
type sendSpy struct {
	sarama.AsyncProducer
	in   chan *sarama.ProducerMessage
	mu   sync.Mutex
	sent map[string]time.Time // envelope id -> last hand-over
}

func newSendSpy(t *testing.T, p sarama.AsyncProducer) *sendSpy {
	s := &sendSpy{AsyncProducer: p, in: make(chan *sarama.ProducerMessage), sent: make(map[string]time.Time)}
	go func() {
		for m := range s.in {
			s.mu.Lock()
			for _, h := range m.Headers {
				if string(h.Key) == events.HeaderEnvelopeID {
					s.sent[string(h.Value)] = time.Now()
				}
			}
			s.mu.Unlock()
			p.Input() <- m
		}
	}()
	t.Cleanup(func() { close(s.in) })
	return s
}

func (s *sendSpy) Input() chan<- *sarama.ProducerMessage { return s.in }

func (s *sendSpy) sentAt() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]time.Time, len(s.sent))
	for k, v := range s.sent {
		out[k] = v
	}
	return out
}

// TestRelayFenceAcrossTakeover runs two relays on one database and one broker while
// records keep being committed. Relay A holds the lease; its database sessions are
// terminated, then it is cut off from the lease (its renewals fail) in the middle of
// the stream, and relay B takes over. Then:
//   - each key's stream is gap-free and in order: every record is either the next
//     version or a copy of one already seen, and every version is there;
//   - A sent nothing after B took the lease over, and marked nothing it had sent late;
//   - every copy in the stream is a record A sent and did not mark.
func TestRelayFenceAcrossTakeover(t *testing.T) {
	testenv.Require(t, testenv.Services{PostgresURL: testenv.PostgresURL()})
	ctx := context.Background()
	db := fmt.Sprintf("tb_relay_fence_%d_%d", os.Getpid(), dbCounter.Add(1))
	t.Cleanup(func() { dropTestDB(db) })
	dsn := "postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable"
	pool, err := persistence.Open(ctx, dsn, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	poolA, err := persistence.Open(ctx, dsn+"&application_name=relay-a", 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(poolA.Close)
	broker, err := events.StartBroker(events.BrokerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)

	outA, outB := newFenceOutbox(poolA), newFenceOutbox(pool)
	spyA := newSendSpy(t, fenceProducer(t, broker.Addrs()))
	spyB := newSendSpy(t, fenceProducer(t, broker.Addrs()))
	lease := func(o events.Outbox, p sarama.AsyncProducer, name string) events.RelayConfig {
		return events.RelayConfig{
			Outbox: o, Producer: p, Node: name, Logger: zaptest.NewLogger(t).Named(name),
			PollInterval: 5 * time.Millisecond, LeaseTTL: 2 * time.Second, LeaseRenew: 100 * time.Millisecond,
			LeaseRetry: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		}
	}
	relayA := events.NewRelay(lease(outA, spyA, "relay-a"))
	relayB := events.NewRelay(lease(outB, spyB, "relay-b"))

	writer := startFenceWriter(t, pool)
	stopA := runUntilStopped(t, relayA.Run)
	testenv.Eventually(t, 15*time.Second, func() error {
		if outA.acquiredAt().IsZero() || len(spyA.sentAt()) < 200 {
			return fmt.Errorf("relay A holds the lease since %v and sent %d records; want it publishing", outA.acquiredAt(), len(spyA.sentAt()))
		}
		return nil
	})
	stopB := runUntilStopped(t, relayB.Run)

	// A's sessions die (a database restart, a killed backend): A recovers, keeping the lease.
	var killed int
	if err := pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'relay-a'`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	t.Logf("terminated %d sessions of relay A", killed)
	sentBefore := len(spyA.sentAt())
	testenv.Eventually(t, 15*time.Second, func() error {
		if n := len(spyA.sentAt()); n <= sentBefore+100 || !outB.acquiredAt().IsZero() {
			return fmt.Errorf("relay A sent %d records since its sessions were killed, relay B acquired at %v; want A publishing on", n-sentBefore, outB.acquiredAt())
		}
		return nil
	})

	// A is cut off from the lease mid-stream; B must take over.
	outA.cut.Store(true)
	testenv.Eventually(t, 20*time.Second, func() error {
		if outB.acquiredAt().IsZero() {
			return errors.New("relay B has not taken the lease over")
		}
		return nil
	})
	takeover := outB.acquiredAt()
	testenv.Eventually(t, 15*time.Second, func() error {
		if n := len(spyB.sentAt()); n < 200 {
			return fmt.Errorf("relay B sent %d records since the takeover, want 200", n)
		}
		return nil
	})
	total := writer.stop()
	relayB.Wake()
	// Some 8,000 records: with the suite's packages and the race detector sharing two
	// cores, relay B once had 726 left after 30 s, publishing on.
	testenv.Eventually(t, 60*time.Second, func() error {
		var left int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&left); err != nil {
			return err
		}
		if left > 0 {
			return fmt.Errorf("%d of %d records unpublished", left, total)
		}
		return nil
	})
	stopA()
	stopB()

	sentA := spyA.sentAt()
	ids := outboxIDs(t, pool) // envelope id -> outbox id
	for env, at := range sentA {
		if at.After(takeover) {
			t.Errorf("relay A sent %s at %v, after relay B took over at %v", env, at.Format(time.RFC3339Nano), takeover.Format(time.RFC3339Nano))
		}
	}
	copies := checkFencedStream(t, broker.Addrs(), total)
	for env, n := range copies {
		if _, sent := sentA[env]; !sent || outA.wasMarked(ids[env]) {
			t.Errorf("envelope %s is in the stream %d times, but relay A did not send it without marking it", env, n+1)
		}
	}
	t.Logf("%d records, %d sent by relay A, %d by relay B, %d copies in the stream", total, len(sentA), len(spyB.sentAt()), len(copies))
}

// fenceProducer returns a producer closed at the test's end.
func fenceProducer(t *testing.T, addrs []string) sarama.AsyncProducer {
	p, err := events.NewRelayProducer(addrs, "fence-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// runUntilStopped runs fn in the background until stop, which waits for it.
func runUntilStopped(t *testing.T, fn func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// fenceWriter commits decisions on a few sections until stopped: each writes a
// seat.reserved and a section.changed record carrying the section's next version.
type fenceWriter struct {
	cancel  context.CancelFunc
	done    chan struct{}
	written atomic.Int64
}

func startFenceWriter(t *testing.T, pool *pgxpool.Pool) *fenceWriter {
	ctx, cancel := context.WithCancel(context.Background())
	w := &fenceWriter{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		versions := make([]int64, 4)
		for ctx.Err() == nil {
			var msgs []actors.OutboxMessage
			next := append([]int64(nil), versions...)
			for i := 0; i < 20; i++ {
				s := i % len(next)
				next[s]++
				key := actors.SectionKey{EventID: "fence", SectionID: fmt.Sprint(s)}
				seat, _ := actors.NewOutboxMessage(actors.NewID("env"), actors.TypeSeatReserved, time.Now(), key, actors.SeatReserved{SectionVersion: next[s]})
				changed, _ := actors.NewOutboxMessage(actors.NewID("env"), actors.TypeSectionChanged, time.Now(), key, actors.SectionChanged{Version: next[s]})
				msgs = append(msgs, seat, changed)
			}
			// A commit that fails (its session was terminated) is simply tried again.
			if err := commitOutbox(ctx, pool, msgs); err != nil {
				continue
			}
			versions = next
			w.written.Add(int64(len(msgs)))
			time.Sleep(5 * time.Millisecond) // the load's pace, not a synchronization
		}
	}()
	t.Cleanup(func() { w.stop() })
	return w
}

func commitOutbox(ctx context.Context, pool *pgxpool.Pool, msgs []actors.OutboxMessage) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := persistence.WriteOutbox(ctx, tx, msgs); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// stop ends the writer and returns how many records it committed.
func (w *fenceWriter) stop() int {
	w.cancel()
	<-w.done
	return int(w.written.Load())
}

// outboxIDs maps every envelope id in the outbox to its record's id.
func outboxIDs(t *testing.T, pool *pgxpool.Pool) map[string]int64 {
	rows, err := pool.Query(context.Background(), `SELECT id, payload FROM outbox`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := make(map[string]int64)
	for rows.Next() {
		var (
			id      int64
			payload []byte
			env     struct{ ID string }
		)
		if err := rows.Scan(&id, &payload); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(payload, &env); err != nil {
			t.Fatal(err)
		}
		out[env.ID] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkFencedStream reads every record of the stream and checks each topic and key's
// sequence of section versions as a consumer that drops copies sees it: every record
// is either the next version or one already seen, and no version is missing. It
// returns how many extra copies of each envelope it found.
func checkFencedStream(t *testing.T, addrs []string, total int) map[string]int {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(actors.Topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	seen := make(map[string]int)
	last := make(map[string]int64) // topic + key -> newest version
	distinct := 0
	for distinct < total {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d distinct records before the deadline", distinct, total)
		}
		fs.EachRecord(func(r *kgo.Record) {
			var env struct {
				ID   string
				Data struct {
					Version        int64 `json:"version"`
					SectionVersion int64 `json:"section_version"`
				}
			}
			if err := json.Unmarshal(r.Value, &env); err != nil {
				t.Fatal(err)
			}
			v := max(env.Data.Version, env.Data.SectionVersion)
			k := r.Topic + " " + string(r.Key)
			switch {
			case v == last[k]+1:
				last[k] = v
			case v > last[k]+1:
				t.Errorf("%s: version %d after %d: a gap", k, v, last[k])
				last[k] = v
			}
			if seen[env.ID] == 0 {
				distinct++
			}
			seen[env.ID]++
		})
	}
	copies := make(map[string]int)
	for id, n := range seen {
		if n > 1 {
			copies[id] = n - 1
		}
	}
	return copies
}
