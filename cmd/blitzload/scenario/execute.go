package scenario

import (
	"context"
	"fmt"
	"sync"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
)

// Outcome is a finished run: the scenario's result, its stats and its audit.
type Outcome struct {
	Result  *Result       `json:"result"`
	Summary stats.Summary `json:"summary"`
	// Audit is nil when the audit was skipped.
	Audit *audit.Report `json:"audit,omitempty"`
}

// Execute runs cfg's scenario with a live console, then (unless skipAudit) reads the
// final state back and audits the fans' records against it.
func Execute(ctx context.Context, env *Env, cfg Config, skipAudit bool) (*Outcome, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	runners := map[string]func(context.Context, *Env, Config) (*Result, error){
		Flash: RunFlash, Steady: RunSteady, Mixed: RunMixed, Hot: RunHot,
	}
	label := env.Label
	if label == "" {
		label = cfg.Scenario
	}
	liveCtx, stopLive := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		stats.Live{Collector: env.Collector, Out: env.Out, Label: label, TTY: env.TTY}.Run(liveCtx)
	}()
	runner := runners[cfg.Scenario]
	if cfg.Scenario == Flash && cfg.Queue != "" {
		runner = RunFlashQueue
	}
	res, err := runner(ctx, env, cfg)
	stopLive()
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Scenario, err)
	}
	out := &Outcome{Result: res, Summary: env.Collector.Summary()}
	if skipAudit {
		return out, nil
	}
	rep, err := Audit(ctx, env, cfg, res)
	if err != nil {
		return out, err
	}
	out.Audit = &rep
	if cfg.Scenario == Flash && cfg.Queue != "" {
		// Both rushes' fans are in the records: the audit's phantom-hold rule read
		// GET /api/v1/me/holds of every fan whose hold was answered 503 or not at all.
		res.fact("phantom holds", "%d (audit rule %s, from each such fan's GET /api/v1/me/holds)",
			rep.Counts[audit.PhantomHold], audit.PhantomHold)
	}
	return out, nil
}

// Audit reads the final state back and checks the run's records against it.
func Audit(ctx context.Context, env *Env, cfg Config, res *Result) (audit.Report, error) {
	recs := env.Log.Records()
	reader := api.NewAuditReader(cfg.Target, env.Tokens)
	defer reader.HTTP.CloseIdleConnections()
	final, err := audit.Collect(ctx, reader, recs, 16)
	if err != nil {
		return audit.Report{}, fmt.Errorf("audit read-back: %w", err)
	}
	return audit.Check(audit.Input{Records: recs, Initial: res.Initial, Final: final}, audit.Options{}), nil
}
