package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ticketblitz/ticketblitz/events"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// The states of a dev node's process, as GET /api/v1/admin/chaos shows them.
const (
	nodeRunning = "running"
	nodePaused  = "paused" // SIGSTOP
	nodeKilled  = "killed" // SIGKILL from the fault controls
	nodeExited  = "exited" // stopped by itself, drained, or failed to start
)

// devNode is one node process of a dev cluster.
type devNode struct {
	name             string
	httpPort, gossip int
	cmd              *exec.Cmd // nil until started
	state            string
}

// devSupervisor owns the node processes and the broker of a dev cluster: it starts
// them, and carries out the faults the nodes forward to its control endpoint.
type devSupervisor struct {
	ctx     context.Context
	exe     string
	broker  *events.Broker
	control string // the control endpoint's address, given to every node
	stdout  io.Writer
	out     sync.Mutex // one line at a time on stdout
	wg      sync.WaitGroup

	mu          sync.Mutex
	nodes       []*devNode
	brokerFault *kfake.FaultHandle // non-nil while the broker is paused
	switches    tbhttp.ChaosSwitches
}

// printf writes one line to the dev command's output.
func (s *devSupervisor) printf(format string, args ...any) {
	s.out.Lock()
	defer s.out.Unlock()
	fmt.Fprintf(s.stdout, format, args...)
}

// launch starts n's process; s.mu must be held. It joins the cluster through the
// running members (none for the very first node), so a node started again after the
// others rejoins their cluster instead of founding its own.
func (s *devSupervisor) launch(n *devNode) error {
	var seeds []string
	for _, o := range s.nodes {
		if o != n && o.state == nodeRunning && o.cmd != nil {
			seeds = append(seeds, net.JoinHostPort("127.0.0.1", strconv.Itoa(o.gossip)))
		}
	}
	env := append(os.Environ(),
		envName("node-name")+"="+n.name,
		envName("http-addr")+"="+net.JoinHostPort("127.0.0.1", strconv.Itoa(n.httpPort)),
		envName("cluster-bind")+"="+net.JoinHostPort("127.0.0.1", strconv.Itoa(n.gossip)),
		envName("kafka-brokers")+"="+s.broker.Addrs()[0],
		envName("classroom")+"=true",
		envName("dev-control")+"="+s.control,
	)
	if len(seeds) > 0 {
		env = append(env, envName("cluster-join")+"="+strings.Join(seeds, ","))
	}
	cmd := exec.Command(s.exe, "serve")
	cmd.Env = env
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		n.state = nodeExited
		return fmt.Errorf("dev: start %s: %w", n.name, err)
	}
	n.cmd, n.state = cmd, nodeRunning
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.printf("%-6s | %s\n", n.name, sc.Text())
		}
	}()
	go func() {
		defer s.wg.Done()
		err := cmd.Wait()
		pw.Close()
		s.mu.Lock()
		if n.cmd == cmd && n.state != nodeKilled {
			n.state = nodeExited
		}
		s.mu.Unlock()
		s.printf("%-6s | exited: %v%s\n", n.name, errOrOK(err), exitNote(s.ctx, err))
	}()
	s.printf("%-8s http://127.0.0.1:%d  (gossip %d)\n", n.name, n.httpPort, n.gossip)
	return nil
}

// stopAll asks every running node to stop (SIGTERM; a paused one is resumed first so
// that it can) and waits for their processes and output.
func (s *devSupervisor) stopAll() {
	s.mu.Lock()
	for _, n := range s.nodes {
		if n.cmd == nil || (n.state != nodeRunning && n.state != nodePaused) {
			continue
		}
		_ = n.cmd.Process.Signal(syscall.SIGTERM)
		if n.state == nodePaused {
			_ = n.cmd.Process.Signal(syscall.SIGCONT)
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}
