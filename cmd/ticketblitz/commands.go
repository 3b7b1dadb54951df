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
	user := fs.String("user", "", "user id (the token's sub)")
	role := fs.String("role", "fan", "fan or admin")
	ttl := fs.Duration("ttl", time.Hour, "lifetime")
	var secret string
	declareJWTSecret(fs, &secret)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := fillFromEnv(fs, getenv, jwtSecretFlag); err != nil {
		return err
	}
	if *user == "" {
		return errors.New("token: --user is required")
	}
	if *role != "fan" && *role != "admin" {
		return fmt.Errorf("token: role %q: want fan or admin", *role)
	}
	if secret == "" {
		secret = devJWTSecret
	}
	tok, exp, err := tbhttp.IssueToken([]byte(secret), *user, *role, *ttl, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "# %s token for %s, expires %s\n%s\n", *role, *user, exp.UTC().Format(time.RFC3339), tok)
	return err
}

// broker runs the in-process Kafka-protocol broker on its own, so a local cluster
// shares one event stream that outlives any node.
func broker(ctx context.Context, args []string, _ func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:9092", "listen address host:port")
	dataDir := fs.String("data-dir", "", "keep records in this folder across restarts (default: in memory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := events.StartBroker(events.BrokerConfig{Addr: *addr, DataDir: *dataDir})
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
	base := fs.String("url", "http://127.0.0.1:8080", "a node's base URL")
	tok := fs.String("token", "", "an admin JWT (default: one minted with the configured secret)")
	var secret string
	declareJWTSecret(fs, &secret)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := fillFromEnv(fs, getenv, jwtSecretFlag); err != nil {
		return err
	}
	if *tok == "" {
		if secret == "" {
			secret = devJWTSecret
		}
		t, _, err := tbhttp.IssueToken([]byte(secret), "cli", "admin", time.Minute, time.Now())
		if err != nil {
			return err
		}
		*tok = t
	}
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodGet, *base+"/api/v1/cluster", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+*tok)
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
