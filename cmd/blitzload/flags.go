package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/report"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/scenario"
)

// options are a scenario command's settings beyond the scenario's own.
type options struct {
	ConfigFile  string
	JWTSecret   string
	TokenSource string
	TokenTTL    time.Duration
	JSONOut     string
	HTMLOut     string
	HTMLAssets  string
	RecordsOut  string
	NoAudit     bool
	Profiles    profiles
}

// bindScenarioFlags declares every flag on fs, with the current values of cfg and o
// as defaults (so a scenario file's values stay unless a flag overrides them).
func bindScenarioFlags(fs *flag.FlagSet, cfg *scenario.Config, o *options) {
	fs.StringVar(&o.ConfigFile, "config", o.ConfigFile, "scenario file (YAML or JSON) whose keys are these flags' names; flags override it")
	fs.StringVar(&cfg.Target, "target", cfg.Target, "server base URL")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed: the same seed makes the same choices")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long hot, steady and mixed run")
	fs.Int64Var(&cfg.Requests, "requests", cfg.Requests, "stop after this many arrivals (steady, mixed) or holds (hot); 0 = no limit")
	fs.DurationVar(&cfg.RampUp, "ramp-up", cfg.RampUp, "ramp: connections spread over it (flash), callers started over it (hot), linear rate ramp (steady, mixed)")
	fs.DurationVar(&cfg.ThinkTime, "think-time", cfg.ThinkTime, "random pause up to this between a fan's steps")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "per-request timeout (a timeout is an unknown outcome)")
	fs.IntVar(&cfg.Retries, "retries", cfg.Retries, "retries of an unknown outcome (same idempotency key)")
	fs.StringVar(&cfg.EventID, "event", cfg.EventID, "use this existing event instead of creating one")
	fs.StringVar(&cfg.SectionID, "section", cfg.SectionID, "use this existing section (flash, hot)")
	fs.IntVar(&cfg.Seats, "seats", cfg.Seats, "seats of each reserved section created")
	fs.IntVar(&cfg.RowSize, "row-size", cfg.RowSize, "seats per row of created sections")
	fs.IntVar(&cfg.Fans, "fans", cfg.Fans, "flash: fans, each with its own connection and token")
	fs.IntVar(&cfg.MinSeats, "min-seats", cfg.MinSeats, "flash: fewest seats a fan asks for")
	fs.IntVar(&cfg.MaxSeats, "max-seats", cfg.MaxSeats, "flash: most seats a fan asks for")
	fs.Float64Var(&cfg.ConfirmShare, "confirm-share", cfg.ConfirmShare, "share of winners who pay (steady: share of holds confirmed)")
	fs.Float64Var(&cfg.DeclineShare, "decline-share", cfg.DeclineShare, "flash: share of winners whose payment is declined")
	fs.Float64Var(&cfg.ReleaseShare, "release-share", cfg.ReleaseShare, "flash: share of winners who release")
	fs.Float64Var(&cfg.AbandonShare, "abandon-share", cfg.AbandonShare, "flash: share of winners who abandon the hold to expiry")
	fs.Float64Var(&cfg.DeclineRetryShare, "decline-retry-share", cfg.DeclineRetryShare, "flash: share of declined fans who then pay (the rest release)")
	fs.Float64Var(&cfg.CancelShare, "cancel-share", cfg.CancelShare, "flash: share of paying fans who then cancel the order")
	fs.BoolVar(&cfg.WebSockets, "ws", cfg.WebSockets, "flash: subscribe every fan to /ws/events/{event_id}")
	fs.StringVar(&cfg.Queue, "queue", cfg.Queue, "flash: rush through the event's waiting room in this order (fifo or random), beside the same rush without it and a bare reference")
	fs.IntVar(&cfg.QueueWS, "queue-ws", cfg.QueueWS, "flash --queue: most fans following their ticket by websocket, the rest poll, spread evenly over the fans (-1: as many as the open files allow)")
	fs.DurationVar(&cfg.QueuePoll, "queue-poll", cfg.QueuePoll, "flash --queue: how often a polling fan reads its ticket")
	fs.DurationVar(&cfg.QueueWait, "queue-wait", cfg.QueueWait, "flash --queue: polling fans read their tickets with ?wait_ms= (this, at most half of --timeout and 30s), which waits for the ticket's change, instead of reading every --queue-poll; 0 polls")
	fs.BoolVar(&cfg.QueueFollowLate, "queue-follow-late", cfg.QueueFollowLate, "flash --queue, a diagnosis: fans follow their tickets only once every join is answered (and no sooner than their tickets say)")
	fs.BoolVar(&cfg.QueueFollowNow, "queue-follow-now", cfg.QueueFollowNow, "flash --queue: fans follow their tickets as soon as their joins are answered, ignoring the tickets' follow_after_ms")
	fs.Float64Var(&cfg.QueueWalkAway, "queue-walk-away", cfg.QueueWalkAway, "flash --queue: this share of the fans admitted walk away with their pass unused (0 to below 1)")
	fs.DurationVar(&cfg.QueueThink, "queue-think", cfg.QueueThink, "flash --queue: each fan admitted takes a time drawn evenly from 0 to this before it holds, as a fan choosing seats")
	fs.StringVar(&cfg.QueueRecords, "queue-records", cfg.QueueRecords, "flash --queue: write every fan's record of both rushes to this file, one JSON object a line (the run's timeline)")
	fs.DurationVar(&cfg.QueueOpensIn, "queue-opens-in", cfg.QueueOpensIn, "flash --queue random: the room opens (and shuffles) this long after it is set")
	fs.IntVar(&cfg.WSSample, "ws-sample", cfg.WSSample, "flash: subscribers that measure delivery latency")
	fs.StringVar(&cfg.WSTarget, "ws-target", cfg.WSTarget, "flash: node the subscriptions go to (default --target), e.g. another node of the cluster")
	fs.IntVar(&cfg.Callers, "callers", cfg.Callers, "hot: concurrent callers, each its own user")
	fs.StringVar(&cfg.HotMode, "hot-mode", cfg.HotMode, "hot: best (best available, 1 seat) or random (a random explicit seat)")
	fs.IntVar(&cfg.Sections, "sections", cfg.Sections, "steady, mixed: reserved sections of the created event")
	fs.DurationVar(&cfg.MaxLate, "max-late", cfg.MaxLate, "steady, mixed: drop (count, do not send) an arrival no worker could start within this of its time; 0 = never drop")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "steady, mixed: arrivals per second")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "steady, mixed: most arrivals in flight (one connection each)")
	fs.IntVar(&cfg.Users, "users", cfg.Users, "steady, mixed: users the arrivals are spread over")
	fs.StringVar(&cfg.Mix, "mix", cfg.Mix, "mixed: operation weights")
	fs.StringVar(&o.JWTSecret, "jwt-secret", o.JWTSecret, "the server's HS256 secret, to mint tokens (default $TICKETBLITZ_JWT_SECRET, else the dev secret)")
	fs.StringVar(&o.TokenSource, "token-source", o.TokenSource, "local (mint with the secret) or api (POST /api/v1/auth/token; admins are still minted)")
	fs.DurationVar(&o.TokenTTL, "token-ttl", o.TokenTTL, "lifetime of minted tokens")
	fs.StringVar(&o.JSONOut, "json", o.JSONOut, "write the report as JSON to this file")
	fs.StringVar(&o.HTMLOut, "html", o.HTMLOut, "write the HTML report with charts to this file")
	fs.StringVar(&o.HTMLAssets, "html-assets", o.HTMLAssets, "where the HTML report loads echarts.min.js from")
	fs.StringVar(&o.RecordsOut, "records", o.RecordsOut, "write the fans' records (JSON lines) to this file")
	fs.BoolVar(&o.NoAudit, "no-audit", o.NoAudit, "skip the audit")
	o.Profiles.bind(fs)
}

// findConfigFile returns the value of -config/--config in args, if any.
func findConfigFile(args []string) string {
	for i, a := range args {
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "config" {
			continue
		}
		if hasVal {
			return val
		}
		if i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// loadConfigFile reads a YAML or JSON scenario file over cfg.
func loadConfigFile(path string, cfg *scenario.Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("scenario file: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && err != io.EOF {
		return fmt.Errorf("scenario file %s: %w", path, err)
	}
	return nil
}

// parseScenarioArgs builds a scenario's settings: defaults, then the scenario file,
// then the flags.
func parseScenarioArgs(name string, args []string, getenv func(string) string, stderr io.Writer) (scenario.Config, options, error) {
	cfg := scenario.DefaultConfig()
	cfg.Scenario = name
	if name == scenario.Hot {
		cfg.Duration = 15 * time.Second
	}
	o := options{JWTSecret: api.DevSecret, TokenSource: "local", TokenTTL: 2 * time.Hour, HTMLAssets: report.DefaultAssetsHost}
	if s := getenv("TICKETBLITZ_JWT_SECRET"); s != "" {
		o.JWTSecret = s
	}
	if path := findConfigFile(args); path != "" {
		if err := loadConfigFile(path, &cfg); err != nil {
			return cfg, o, fmt.Errorf("%w: %v", errUsage, err)
		}
		if cfg.Scenario != name {
			return cfg, o, fmt.Errorf("%w: scenario file %s is for %q, not %q", errUsage, path, cfg.Scenario, name)
		}
	}
	fs := flag.NewFlagSet("blitzload "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	bindScenarioFlags(fs, &cfg, &o)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return cfg, o, err
		}
		return cfg, o, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return cfg, o, fmt.Errorf("%w: unexpected arguments %v", errUsage, fs.Args())
	}
	if o.TokenSource != "local" && o.TokenSource != "api" {
		return cfg, o, fmt.Errorf("%w: token-source %q: want local or api", errUsage, o.TokenSource)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, o, fmt.Errorf("%w: %v", errUsage, err)
	}
	return cfg, o, nil
}
