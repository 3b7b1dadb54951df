package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Run runs one scenario on a fresh cluster and database and audits it. The error is
// for failing to run at all; violations are in the Result.
func Run(ctx context.Context, cfg Config, sc Scenario) (Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(sc); err != nil {
		return Result{}, err
	}
	res := Result{Scenario: sc, Nodes: cfg.Nodes, Fans: cfg.Fans, WorkDir: filepath.Join(cfg.WorkDir, fmt.Sprintf("%s-%d", sc, cfg.Nodes))}
	cfg.WorkDir = res.WorkDir
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return res, fmt.Errorf("chaos: %w", err)
	}
	say := func(format string, args ...any) {
		fmt.Fprintf(cfg.progress(), "chaos %-7s %s\n", sc, fmt.Sprintf(format, args...))
	}
	say("starting a broker and %d nodes (logs in %s)", cfg.Nodes, cfg.WorkDir)
	c, err := startCluster(ctx, cfg, fmt.Sprintf("tb_chaos_%s%d_%d", sc, cfg.Nodes, os.Getpid()))
	if err != nil {
		return res, err
	}
	defer c.stop()
	lbCtx, stopLB := context.WithCancel(ctx)
	defer stopLB()
	go c.runBalancer(lbCtx)

	ev, err := c.createEvent(ctx, eventSpec(cfg, "chaos "+string(sc)))
	if err != nil {
		return res, err
	}
	s := newSale(cfg, c, ev)
	fans, err := s.newFans(fmt.Sprintf("%s-%d", sc, time.Now().UnixNano()))
	if err != nil {
		return res, err
	}
	stop := make(chan struct{})
	saleDone := make(chan struct{})
	saleStart := time.Now()
	say("sale: %d fans over %d nodes, %d reserved sections of %d seats and a floor of %d", cfg.Fans, cfg.Nodes, cfg.Sections, cfg.SeatsPerSection, cfg.GACapacity)
	go func() {
		s.run(stop, fans)
		close(saleDone)
	}()
	stopSale := func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-saleDone
	}
	defer stopSale()

	sleepCtx(ctx, cfg.Warmup)
	all := append(append([]string(nil), s.reserved...), s.ga)
	owners := c.leaseOwners(ctx, ev.ID, all)
	f, err := inject(ctx, c, cfg, sc, ev.ID, all, owners, say)
	if err != nil {
		return res, err
	}
	sleepCtx(ctx, time.Until(f.t0.Add(cfg.After)))
	stopSale()
	res.Sale = time.Since(saleStart)
	f.wait()
	say("sale over after %s; settling %d operations without an answer", res.Sale.Round(time.Millisecond), len(s.pending))
	res.Settled, res.Unknown = s.settle()
	if err := audits(ctx, c, s, &res); err != nil {
		return res, err
	}
	measure(s, f, &res)
	if err := saveRun(res, s); err != nil {
		return res, err
	}
	return res, nil
}

// saveRun writes the report and the fans' records into the scenario's work directory.
func saveRun(res Result, s *sale) error {
	var b strings.Builder
	WriteText(&b, res)
	if err := os.WriteFile(filepath.Join(res.WorkDir, "report.txt"), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	f, err := os.Create(filepath.Join(res.WorkDir, "records.jsonl"))
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, r := range s.log.Records() {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("chaos: records: %w", err)
		}
	}
	return nil
}

// busiest returns the node hosting the most sections (by name, for ties).
func busiest(owners map[string]string) string {
	count := map[string]int{}
	for _, o := range owners {
		count[o]++
	}
	var best string
	for n, k := range count {
		if best == "" || k > count[best] || (k == count[best] && n < best) {
			best = n
		}
	}
	return best
}

// hostedBy lists the sections owned by node.
func hostedBy(owners map[string]string, node string) []string {
	var out []string
	for s, o := range owners {
		if o == node {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
