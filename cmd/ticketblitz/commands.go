package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	nethttp "net/http"
	"text/tabwriter"
	"time"

	"github.com/ticketblitz/ticketblitz/events"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
	"github.com/ticketblitz/ticketblitz/persistence"
)

// migrate creates the database when missing and applies every migration.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stdout)
	cfg, err := parseConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	pool, err := persistence.Open(ctx, cfg.PostgresURL, 2)
	if err != nil {
		return err
	}
	pool.Close()
	_, err = fmt.Fprintln(stdout, "migrated", redactURL(cfg.PostgresURL))
	return err
}

// token prints a JWT signed with the configured secret; the token is the last word.
func token(args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var o tokenOptions
	o.declare(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fillFromEnv(fs, getenv, jwtSecretFlag); err != nil {
		return err
	}
	if o.user == "" {
		return errors.New("token: --user is required")
	}
	if o.role != "fan" && o.role != "admin" {
		return fmt.Errorf("token: role %q: want fan or admin", o.role)
	}
	if o.secret == "" {
		o.secret = devJWTSecret
	}
	tok, exp, err := tbhttp.IssueToken([]byte(o.secret), o.user, o.role, o.ttl, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "# %s token for %s, expires %s\n%s\n", o.role, o.user, exp.UTC().Format(time.RFC3339), tok)
	return err
}

// broker runs the in-process Kafka-protocol broker on its own, so a local cluster
// shares one event stream that outlives any node.
func broker(ctx context.Context, args []string, _ func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var o brokerOptions
	o.declare(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := events.StartBroker(events.BrokerConfig{Addr: o.addr, DataDir: o.dataDir, Retention: o.retention})
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintln(stdout, "kafka-protocol broker listening on", b.Addrs())
	<-ctx.Done()
	return nil
}

// clusterCommand implements "ticketblitz cluster status": it asks a node's HTTP API.
func clusterCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "status" {
		return errors.New("usage: ticketblitz cluster status [--url http://127.0.0.1:8080] [--token JWT | --jwt-secret SECRET]")
	}
	fs := flag.NewFlagSet("cluster status", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var o clusterStatusOptions
	o.declare(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := fillFromEnv(fs, getenv, jwtSecretFlag); err != nil {
		return err
	}
	if o.token == "" {
		if o.secret == "" {
			o.secret = devJWTSecret
		}
		t, _, err := tbhttp.IssueToken([]byte(o.secret), "cli", "admin", time.Minute, time.Now())
		if err != nil {
			return err
		}
		o.token = t
	}
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodGet, o.url+"/api/v1/cluster", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+o.token)
	res, err := (&nethttp.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var body struct {
		Node    string `json:"node"`
		Members []struct {
			Name     string `json:"name"`
			Address  string `json:"address"`
			Status   string `json:"status"`
			Sections int    `json:"sections"`
		} `json:"members"`
	}
	if res.StatusCode != nethttp.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return fmt.Errorf("%s: %s", res.Status, msg)
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return fmt.Errorf("decode cluster status: %w", err)
	}
	fmt.Fprintf(stdout, "node %s sees %d members\n", body.Node, len(body.Members))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDRESS\tSTATUS\tSECTIONS")
	for _, m := range body.Members {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", m.Name, m.Address, m.Status, m.Sections)
	}
	return tw.Flush()
}
