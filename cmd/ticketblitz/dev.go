package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/ticketblitz/ticketblitz/events"
)

// dev runs a local cluster in one command: an event-stream broker in this process and
// N nodes as child processes of this binary on loopback, sharing one database. Each
// node serves the API and the web page on its own port. Ctrl-C stops them all.
func dev(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var o devOptions
	o.declare(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.nodes < 1 || o.nodes > 9 {
		return fmt.Errorf("dev: --nodes %d: want 1 to 9", o.nodes)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	b, err := events.StartBroker(events.BrokerConfig{Addr: o.broker})
	if err != nil {
		return fmt.Errorf("dev: start broker: %w", err)
	}
	defer b.Close()
	fmt.Fprintf(stdout, "broker   %s\n", b.Addrs()[0])

	sup := &devSupervisor{ctx: ctx, exe: exe, broker: b, stdout: stdout}
	control, err := startDevControl(sup)
	if err != nil {
		return err
	}
	defer control.Close()
	sup.control = control.Addr().String()
	defer sup.stopAll()
	first := make([]*devNode, o.nodes)
	for i := range first {
		first[i] = &devNode{name: fmt.Sprintf("node%d", i+1), httpPort: o.httpPort + i, gossip: o.gossipPort + i}
	}
	sup.mu.Lock()
	sup.nodes = append(sup.nodes, first...)
	sup.mu.Unlock()
	for i, n := range first {
		sup.mu.Lock()
		err := sup.launch(n)
		sup.mu.Unlock()
		if err != nil {
			return err
		}
		if i == 0 {
			// Let the first node create and migrate the database and seed the demo
			// before the others race it (they would wait on its locks anyway).
			if err := waitReady(ctx, o.httpPort); err != nil {
				return err
			}
		}
	}
	<-ctx.Done()
	return nil
}

// exitNote explains a node that stopped cleanly on its own, before Ctrl-C: it was drained
// (POST /api/v1/cluster/drain) and left the cluster, which is normal.
func exitNote(ctx context.Context, err error) string {
	if err != nil || ctx.Err() != nil {
		return ""
	}
	return " (drained: it left the cluster; the other nodes keep running)"
}

func errOrOK(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// waitReady polls a node's /readyz until it answers 200.
func waitReady(ctx context.Context, port int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return errors.New("dev: the first node did not start listening within 60s")
}
