package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/latproxy"
	"github.com/ticketblitz/ticketblitz/events"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// The relay lag benchmark's load: a flash sale's decisions, each committing a seat
// event and a section.changed record; half of them go to one hot section, the rest
// spread over the others.
const (
	lagBenchSections = 16
	lagBenchDuration = 10 * time.Second
	lagBenchTick     = 10 * time.Millisecond
	lagBenchDelay    = 2 * time.Millisecond // each way, between the relay and the broker
)

// BenchmarkOutboxRelayLag drives outbox records into PostgreSQL at a flash sale's
// decision rate for 10 s while the relay publishes them to an in-process broker behind
// a proxy that delays each direction by 2 ms, then reports the outbox lag of every
// record: from its commit (created_at, the writing transaction's start) to its marking
// as published (published_at, after the broker's acknowledgement), by the database's
// clock. Each decision writes two records, as the section actor's batches do.
//
//	go test ./cmd/ticketblitz -run '^$' -bench OutboxRelayLag -benchtime 1x
func BenchmarkOutboxRelayLag(b *testing.B) {
	for _, rate := range []int{5000, 10000} {
		b.Run(fmt.Sprintf("decisions_per_s=%d", rate), func(b *testing.B) { benchRelayLag(b, rate) })
	}
}

func benchRelayLag(b *testing.B, decisionsPerSecond int) {
	testenv.Require(b, testenv.Services{PostgresURL: testenv.PostgresURL()})
	ctx := context.Background()
	db := fmt.Sprintf("tb_bench_relay_%d_%d", os.Getpid(), dbCounter.Add(1))
	defer dropTestDB(db)
	pool, err := persistence.Open(ctx, "postgres://postgres@127.0.0.1:5432/"+db+"?sslmode=disable", 6)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	addrs := slowBroker(b, lagBenchDelay)

	relay, stop := startBenchRelay(b, pool, addrs)
	defer stop()
	b.ResetTimer()
	written := writeFlashSaleOutbox(b, pool, decisionsPerSecond, lagBenchDuration, relay.Wake)
	if err := testenv.TryEvery(2*time.Minute, 100*time.Millisecond, func() error {
		var left int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&left); err != nil {
			return err
		}
		if left > 0 {
			return fmt.Errorf("%d records unpublished", left)
		}
		return nil
	}); err != nil {
		b.Logf("outbox not drained: %v", err)
	}
	b.StopTimer()
	var p50, p99, worst float64
	if err := pool.QueryRow(ctx, `
		SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), max(lag)
		FROM (SELECT EXTRACT(EPOCH FROM COALESCE(published_at, clock_timestamp()) - created_at)::float8 AS lag FROM outbox) l`).
		Scan(&p50, &p99, &worst); err != nil {
		b.Fatal(err)
	}
	logLagBySecond(b, pool)
	b.ReportMetric(float64(written)/lagBenchDuration.Seconds(), "records/s")
	b.ReportMetric(p50*1000, "lag_p50_ms")
	b.ReportMetric(p99*1000, "lag_p99_ms")
	b.ReportMetric(worst*1000, "lag_max_ms")
}

// slowBroker starts an in-process broker that clients reach only through a proxy adding
// delay each way: the broker advertises the proxy's address, so the connections the
// clients open after bootstrapping go through it too.
func slowBroker(b *testing.B, delay time.Duration) []string {
	var proxies []*latproxy.Proxy
	cluster, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.SeedTopics(events.DefaultPartitions, actors.Topics...),
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			ln, err := net.Listen(network, "127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			p, err := latproxy.Start("127.0.0.1:0", ln.Addr().String(), delay)
			if err != nil {
				ln.Close()
				return nil, err
			}
			proxies = append(proxies, p)
			return advertised{Listener: ln, addr: p}, nil
		}),
	)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cluster.Close()
		for _, p := range proxies {
			_ = p.Close()
		}
	})
	return cluster.ListenAddrs()
}

// advertised is a listener that names the proxy in front of it as its address.
type advertised struct {
	net.Listener
	addr *latproxy.Proxy
}

func (a advertised) Addr() net.Addr {
	addr, _ := net.ResolveTCPAddr("tcp", a.addr.Addr())
	return addr
}

// writeFlashSaleOutbox commits decisionsPerSecond decisions a second for d, a batch per
// tick as the section actors' group commits do, calling wake after each commit. It
// returns how many records it wrote.
func writeFlashSaleOutbox(b *testing.B, pool *pgxpool.Pool, decisionsPerSecond int, d time.Duration, wake func()) int {
	ctx := context.Background()
	versions := make([]int64, lagBenchSections)
	start := time.Now()
	done, written := 0, 0
	tick := time.NewTicker(lagBenchTick)
	defer tick.Stop()
	for now := range tick.C {
		elapsed := now.Sub(start)
		if elapsed > d {
			break
		}
		due := int(elapsed.Seconds()*float64(decisionsPerSecond)) - done
		if due <= 0 {
			continue
		}
		msgs := make([]actors.OutboxMessage, 0, 2*due)
		for i := 0; i < due; i++ {
			s := 0
			if (done+i)%2 == 1 {
				s = 1 + (done+i)/2%(lagBenchSections-1)
			}
			versions[s]++
			key := actors.SectionKey{EventID: "flash", SectionID: fmt.Sprint(s)}
			seat, err := actors.NewOutboxMessage(actors.NewID(""), actors.TypeSeatReserved, now, key,
				actors.SeatReserved{HoldID: actors.NewID("h"), UserID: "fan", Seats: []string{"A-1"}, Quantity: 1, SectionVersion: versions[s]})
			if err != nil {
				b.Fatal(err)
			}
			changed, err := actors.NewOutboxMessage(actors.NewID(""), actors.TypeSectionChanged, now, key,
				actors.SectionChanged{Version: versions[s]})
			if err != nil {
				b.Fatal(err)
			}
			msgs = append(msgs, seat, changed)
		}
		tx, err := pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := persistence.WriteOutbox(ctx, tx, msgs); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		done += due
		written += len(msgs)
		wake()
	}
	return written
}

// logLagBySecond logs the worst lag of the records committed in each second of the run,
// to tell a steady lag from a stall.
func logLagBySecond(b *testing.B, pool *pgxpool.Pool) {
	rows, err := pool.Query(context.Background(), `
		SELECT EXTRACT(EPOCH FROM date_trunc('second', created_at) - min(date_trunc('second', created_at)) OVER ())::int,
		       max(EXTRACT(EPOCH FROM COALESCE(published_at, clock_timestamp()) - created_at))::float8 * 1000
		FROM outbox GROUP BY date_trunc('second', created_at) ORDER BY 1`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	line := "worst lag (ms) by second of the run:"
	for rows.Next() {
		var (
			second int
			worst  float64
		)
		if err := rows.Scan(&second, &worst); err != nil {
			b.Fatal(err)
		}
		line += fmt.Sprintf(" %d:%.0f", second, worst)
	}
	b.Log(line)
}
