package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/bareref"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/fdlimit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/report"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/scenario"
)

// runScenario runs one scenario command: the run, the audit, the reports.
func runScenario(ctx context.Context, name string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, o, err := parseScenarioArgs(name, args, getenv, stderr)
	if err != nil {
		return err
	}
	limit, err := fdlimit.Raise()
	if err != nil {
		fmt.Fprintf(stderr, "blitzload: %v; going on with %s\n", err, limit)
	}
	fmt.Fprintf(stderr, "blitzload %s against %s (seed %d); %s\n", name, cfg.Target, cfg.Seed, limit)
	env := scenario.NewEnv(scenario.EnvOptions{
		Target: cfg.Target, Secret: []byte(o.JWTSecret), TokenSource: o.TokenSource, TokenTTL: o.TokenTTL,
		Out: stderr, TTY: isTerminal(stderr), Limit: limit,
	})
	if cfg.Queue != "" {
		env.Bare = bareStarter(o.JWTSecret)
	}
	stopProfiles, err := o.Profiles.start(stderr)
	if err != nil {
		return err
	}
	defer stopProfiles()
	out, runErr := scenario.Execute(ctx, env, cfg, o.NoAudit)
	if o.RecordsOut != "" {
		if err := writeRecords(o.RecordsOut, env.Log.Records()); err != nil {
			return err
		}
	}
	if out == nil {
		return runErr
	}
	doc := scenarioDoc(name, args, out)
	if err := report.WriteText(stdout, doc); err != nil {
		return err
	}
	if err := writeReports(doc, o); err != nil {
		return err
	}
	if runErr != nil {
		return runErr
	}
	if out.Audit != nil && !out.Audit.OK() {
		return violationsError{n: out.Audit.Total()}
	}
	return nil
}

// scenarioDoc turns an outcome into a report document.
func scenarioDoc(name string, args []string, out *scenario.Outcome) report.Doc {
	doc := report.Doc{
		Title:     "blitzload " + name,
		Command:   commandLine(append([]string{name}, args...)),
		Generated: time.Now(),
		Summary:   out.Summary,
		Audit:     out.Audit,
	}
	if res := out.Result; res != nil {
		for _, f := range res.Facts {
			doc.Facts = append(doc.Facts, report.Fact{Name: f.Name, Value: f.Value})
		}
		doc.Facts = append(doc.Facts, report.Fact{Name: "open files", Value: res.Limit})
		doc.Notes = res.Notes
		doc.Details = res
	}
	return doc
}

// writeReports writes the JSON and HTML reports asked for.
func writeReports(doc report.Doc, o options) error {
	write := func(path string, fn func(io.Writer) error) error {
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if err := fn(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("report %s: %w", path, err)
		}
		return nil
	}
	if err := write(o.JSONOut, func(w io.Writer) error { return report.WriteJSON(w, doc) }); err != nil {
		return err
	}
	return write(o.HTMLOut, func(w io.Writer) error {
		return report.WriteHTML(w, doc, report.HTMLOptions{AssetsHost: o.HTMLAssets})
	})
}

// writeRecords writes the records as JSON lines.
func writeRecords(path string, recs []audit.Record) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("records: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return fmt.Errorf("records %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("records %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("records %s: %w", path, err)
	}
	return nil
}

// bareStarter starts the bare reference as `blitzload bareref`, a process of its own.
func bareStarter(secret string) scenario.BareStarter {
	return func(ctx context.Context) (string, func() error, error) {
		exe, err := os.Executable()
		if err != nil {
			return "", nil, err
		}
		return bareref.Start(ctx, exe, []string{"bareref"}, []byte(secret))
	}
}

// runBareRef is the hidden subcommand the flash --queue run starts: the bare reference
// server, until its stdin closes.
func runBareRef(ctx context.Context, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	secret := getenv(bareref.SecretEnv)
	if secret == "" {
		secret = api.DevSecret
	}
	return bareref.Run(ctx, []byte(secret), stdin, stdout)
}
