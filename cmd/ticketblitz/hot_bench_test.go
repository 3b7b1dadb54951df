package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// BenchmarkHotSection measures durable holds per second on one hot 2,000-seat section
// with 1,000 concurrent callers, for every strategy in the same run, in-process (no
// HTTP: the decision path only). Each caller is its own user and loops: hold one seat,
// then release it. A hold counts once it is answered, which happens only after it is
// committed. A run stops after b.N hold attempts or 20 seconds, whichever comes first
// (a slow strategy needs the cap); the rates are computed over the time it really ran.
// Callers pick an explicit random seat ("explicit") or ask for best available ("best").
// Besides the rates it reports the process's CPU and heap allocations per decision (the
// callers included), the regression figures of the engine beneath HTTP;
// BenchmarkHTTPHold in http is the HTTP layer's share.
//
//	go test ./cmd/ticketblitz -run '^$' -bench 'HotSection/actor' -benchtime 20000x
func BenchmarkHotSection(b *testing.B) {
	for _, strategy := range strategies {
		for _, mode := range []string{"explicit", "best"} {
			b.Run(strategy+"/"+mode, func(b *testing.B) { benchHot(b, strategy, mode, 1000, nil) })
		}
	}
}

// benchHot runs the hot section with strategy and mode; extra sets more of the server's
// variables.
func benchHot(b *testing.B, strategy, mode string, callers int, extra map[string]string) {
	testenv.Require(b, testenv.Both())
	db := fmt.Sprintf("tb_bench_%d_%d", os.Getpid(), dbCounter.Add(1))
	defer dropTestDB(db)
	env := map[string]string{
		"TICKETBLITZ_HTTP_ADDR": "127.0.0.1:0", "TICKETBLITZ_CLUSTER_BIND": "127.0.0.1:0",
		"TICKETBLITZ_POSTGRES_URL": "postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable",
		"TICKETBLITZ_SEED_DEMO":    "false", "TICKETBLITZ_STRATEGY": strategy, "TICKETBLITZ_NODE_NAME": "bench-" + db,
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := parseConfig(flag.NewFlagSet("bench", flag.ContinueOnError), nil, func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	log, _ := newLogger("error", "console", io.Discard)
	ctx := context.Background()
	srv, err := start(ctx, cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = srv.shutdown() }()
	rows := make([]actors.RowSpec, 40)
	for i := range rows {
		rows[i] = actors.RowSpec{Label: actors.RowLabel(i), Seats: 50}
	}
	ev, err := srv.store.CreateEvent(ctx, actors.Event{Name: "Hot", Venue: "Arena", StartsAt: time.Now().Add(time.Hour), Currency: "USD",
		Sections: []actors.Section{{ID: "hot", Name: "Hot", Kind: actors.KindReserved, PriceCents: 100, Rows: rows}}})
	if err != nil {
		b.Fatal(err)
	}
	// Warm up: activate the section.
	if h, err := srv.reservations.Hold(ctx, actors.HoldRequest{EventID: ev.ID, SectionID: "hot", UserID: "warm", Quantity: 1}); err == nil {
		_, _ = srv.reservations.Release(ctx, h.ID, "warm")
	}

	var left atomic.Int64
	left.Store(int64(b.N))
	var refused, failed atomic.Int64
	lat := make([][]time.Duration, callers)
	var wg sync.WaitGroup
	var mem0, mem1 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	cpu0, pgcpu0 := testenv.ProcessCPU(), databaseCPU(b, db)
	b.ResetTimer()
	begin := time.Now()
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 3))
			user := fmt.Sprintf("fan%d", c)
			for left.Add(-1) >= 0 && time.Since(begin) < 20*time.Second {
				req := actors.HoldRequest{EventID: ev.ID, SectionID: "hot", UserID: user}
				if mode == "best" {
					req.Quantity = 1
				} else {
					req.Seats = []string{actors.SeatID(actors.RowLabel(rng.IntN(40)), 1+rng.IntN(50))}
				}
				t0 := time.Now()
				h, err := srv.reservations.Hold(ctx, req)
				if err != nil {
					if errors.Is(err, actors.ErrSeatUnavailable) || errors.Is(err, actors.ErrSoldOut) {
						refused.Add(1)
					} else {
						failed.Add(1)
					}
					continue
				}
				lat[c] = append(lat[c], time.Since(t0))
				if _, err := srv.reservations.Release(ctx, h.ID, user); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()
	cpu, pgcpu := testenv.ProcessCPU()-cpu0, databaseCPU(b, db).since(pgcpu0)
	runtime.ReadMemStats(&mem1)
	all := slices.Concat(lat...)
	slices.Sort(all)
	q := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "holds/s")
	b.ReportMetric(float64(2*len(all))/elapsed.Seconds(), "decisions/s")
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(refused.Load()), "refused")
	b.ReportMetric(float64(failed.Load()), "failed")
	if decisions := float64(2 * len(all)); decisions > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/decisions, "cpu-us/decision")
		b.ReportMetric(float64(pgcpu.Microseconds())/decisions, "pg-cpu-us/decision")
		b.ReportMetric(float64(mem1.Mallocs-mem0.Mallocs)/decisions, "allocs/decision")
	}
	reportAttemptStorage(b, db)
}
