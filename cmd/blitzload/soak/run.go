package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/chaos"
)

// auditParallel is how many read-back requests the audit sends at once.
const auditParallel = 8

// Run runs one soak on a fresh cluster and database and audits it. The error is for
// failing to run at all; what the run found is in the Result.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	res := Result{Nodes: cfg.Nodes, Rate: cfg.Rate, Sections: cfg.Sections, SeatsPerSection: cfg.SeatsPerSection, Users: cfg.Users,
		HoldTTL: cfg.HoldTTL, IdempotencyRetention: cfg.IdempotencyRetention, OutboxRetention: cfg.OutboxRetention,
		NotificationsRetention: cfg.NotificationsRetention, ExpirySlack: cfg.ExpirySlack, WorkDir: cfg.WorkDir}
	if err := cfg.validate(); err != nil {
		return res, err
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return res, fmt.Errorf("soak: %w", err)
	}
	say := func(format string, args ...any) {
		fmt.Fprintf(cfg.progress(), "soak %s\n", fmt.Sprintf(format, args...))
	}
	say("starting a broker and %d nodes (logs in %s)", cfg.Nodes, cfg.WorkDir)
	k, err := chaos.StartCluster(ctx, chaos.Config{ServerBin: cfg.ServerBin, PostgresURL: cfg.PostgresURL, RedisURL: cfg.RedisURL,
		JWTSecret: cfg.JWTSecret, WorkDir: cfg.WorkDir, Nodes: cfg.Nodes, PostgresPool: cfg.PostgresPool, HoldTTL: cfg.HoldTTL,
		Env: cfg.env(), KeepDatabase: cfg.KeepDatabase, Progress: cfg.Progress}, fmt.Sprintf("tb_soak_%d", os.Getpid()))
	if err != nil {
		return res, err
	}
	defer k.Stop()
	lbCtx, stopLB := context.WithCancel(ctx)
	defer stopLB()
	go k.RunBalancer(lbCtx)
	ev, err := k.CreateEvent(ctx, eventSpec(cfg))
	if err != nil {
		return res, err
	}
	s, err := newSale(cfg, k, ev.ID, fmt.Sprintf("soak%d", time.Now().UnixNano()))
	if err != nil {
		return res, err
	}
	smp, err := newSampler(ctx, k, cfg.ExpirySlack)
	if err != nil {
		return res, err
	}
	defer smp.close()

	say("sale: %.4g journeys/s for %s over %d sections of %d seats, hold TTL %s", cfg.Rate, cfg.Duration, cfg.Sections, cfg.SeatsPerSection, cfg.HoldTTL)
	start := time.Now()
	saleDone := make(chan struct{})
	go func() {
		s.run(ctx, cfg.Duration)
		close(saleDone)
	}()
	sample := func() (Sample, error) {
		sm, err := smp.take(ctx, time.Since(start), s.decisions.Load())
		if err == nil {
			say("%s", sampleLine(sm))
		}
		return sm, err
	}
	tick := time.NewTicker(cfg.SampleEvery)
	for running := true; running; {
		select {
		case <-saleDone:
			running = false
		case <-tick.C:
			sm, err := sample()
			if err != nil {
				<-saleDone
				return res, err
			}
			res.Samples = append(res.Samples, sm)
		}
	}
	tick.Stop()
	res.Sale = time.Since(start)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	sm, err := sample()
	if err != nil {
		return res, err
	}
	res.Samples = append(res.Samples, sm)

	s.mu.Lock()
	busiestSection := busiest(s.bySection)
	s.mu.Unlock()
	say("sale over after %s; %d quiet holds and a burst of %d holds on %s, then the kill", res.Sale.Round(time.Millisecond),
		quietSections*quietHolds, cfg.BurstHolds, busiestSection)
	s.prepareKill(busiestSection)
	if res.Kill, err = s.killAndProbe(ctx, smp, busiestSection, say); err != nil {
		return res, err
	}
	for _, a := range res.Kill.Activations {
		say("  %s (%d live holds): %s", a.Section, a.LiveHolds, activationText(a))
	}
	if sm, err = sample(); err != nil {
		return res, err
	}
	res.Samples = append(res.Samples, sm)

	if err := s.awaitExpiries(ctx, smp, say); err != nil {
		return res, err
	}
	if res.Final, err = sample(); err != nil {
		return res, err
	}
	say("auditing %d records", s.log.Len())
	k.CheckReady(ctx)
	reader := api.NewAuditReader(k.Targets()[0], api.LocalTokens{Secret: []byte(cfg.JWTSecret), TTL: time.Hour})
	recs := s.log.Records()
	final, err := audit.Collect(ctx, reader, recs, auditParallel)
	if err != nil {
		return res, fmt.Errorf("soak: read the final state back: %w", err)
	}
	res.Audit = audit.Check(audit.Input{Records: recs, Final: final}, audit.Options{ExpiryGrace: cfg.ExpirySlack})

	s.mu.Lock()
	res.Journeys, res.Failed, res.Skipped = s.journeys, s.failed, s.skipped
	res.Ops, res.BySection = maps.Clone(s.ops), maps.Clone(s.bySection)
	s.mu.Unlock()
	res.Decisions = s.decisions.Load()
	return res, save(res, recs)
}

// awaitExpiries waits until every hold placed has passed its expiry and the slack, so
// that the last sample and the audit's read-back see them all expired. It waits at most
// a hold TTL, the slack and a minute past the last hold.
func (s *sale) awaitExpiries(ctx context.Context, smp *sampler, say func(string, ...any)) error {
	last, err := smp.lastExpiry(ctx)
	if err != nil {
		return err
	}
	lastHold := time.Unix(0, s.lastHold.Load())
	due := lastHold.Add(s.cfg.HoldTTL)
	if last.After(due) {
		due = last
	}
	due = due.Add(s.cfg.ExpirySlack + time.Second)
	if limit := lastHold.Add(s.cfg.HoldTTL + s.cfg.ExpirySlack + time.Minute); due.After(limit) {
		due = limit
	}
	say("waiting %s for the last holds to expire", time.Until(due).Round(time.Second))
	if !sleepUntil(ctx, due) {
		return ctx.Err()
	}
	return nil
}

// save writes the records, the result as JSON and the text report into the work
// directory.
func save(res Result, recs []audit.Record) error {
	f, err := os.Create(filepath.Join(res.WorkDir, "records.jsonl"))
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	enc := json.NewEncoder(f)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return fmt.Errorf("soak: records: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("soak: records: %w", err)
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	if err := os.WriteFile(filepath.Join(res.WorkDir, "result.json"), data, 0o644); err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	var b strings.Builder
	WriteText(&b, res)
	if err := os.WriteFile(filepath.Join(res.WorkDir, "report.txt"), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	return nil
}
