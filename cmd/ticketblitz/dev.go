package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
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

	var out sync.Mutex
	var wg sync.WaitGroup
	procs := make([]*exec.Cmd, 0, o.nodes)
	defer func() {
		for _, p := range procs {
			_ = p.Process.Signal(syscall.SIGTERM)
		}
		wg.Wait()
	}()
	seed := net.JoinHostPort("127.0.0.1", strconv.Itoa(o.gossipPort))
	for i := 0; i < o.nodes; i++ {
		name := fmt.Sprintf("node%d", i+1)
		env := append(os.Environ(),
			envName("node-name")+"="+name,
			envName("http-addr")+"="+net.JoinHostPort("127.0.0.1", strconv.Itoa(o.httpPort+i)),
			envName("cluster-bind")+"="+net.JoinHostPort("127.0.0.1", strconv.Itoa(o.gossipPort+i)),
			envName("kafka-brokers")+"="+b.Addrs()[0],
			envName("classroom")+"=true",
		)
		if i > 0 {
			env = append(env, envName("cluster-join")+"="+seed)
		}
		cmd := exec.Command(exe, "serve")
		cmd.Env = env
		pr, pw := io.Pipe()
		cmd.Stdout, cmd.Stderr = pw, pw
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("dev: start %s: %w", name, err)
		}
		procs = append(procs, cmd)
		wg.Add(2)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(pr)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				out.Lock()
				fmt.Fprintf(stdout, "%-6s | %s\n", name, sc.Text())
				out.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			err := cmd.Wait()
			pw.Close()
			out.Lock()
			fmt.Fprintf(stdout, "%-6s | exited: %v%s\n", name, errOrOK(err), exitNote(ctx, err))
			out.Unlock()
		}()
		fmt.Fprintf(stdout, "%-8s http://127.0.0.1:%d  (gossip %d)\n", name, o.httpPort+i, o.gossipPort+i)
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
