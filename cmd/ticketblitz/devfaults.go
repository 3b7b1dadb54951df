package main

import (
	"context"
	"fmt"
	"net"
	nethttp "net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ticketblitz/ticketblitz/actors"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// devMaxNodes bounds the nodes a dev cluster runs, those started from the controls
// included.
const devMaxNodes = 9

// state is the cluster as the fault controls show it.
func (s *devSupervisor) state() tbhttp.ChaosState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stateLocked()
}

func (s *devSupervisor) stateLocked() tbhttp.ChaosState {
	st := tbhttp.ChaosState{Nodes: make([]tbhttp.ChaosNode, 0, len(s.nodes)), Switches: s.switches,
		Broker: tbhttp.ChaosBroker{Addr: s.broker.Addrs()[0], Paused: s.brokerFault != nil}}
	for _, n := range s.nodes {
		pid := 0
		if n.cmd != nil && (n.state == nodeRunning || n.state == nodePaused) {
			pid = n.cmd.Process.Pid
		}
		st.Nodes = append(st.Nodes, tbhttp.ChaosNode{
			Name: n.name, URL: "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(n.httpPort)), PID: pid, State: n.state,
		})
	}
	return st
}

// apply carries out one fault and logs it; its errors are domain errors.
func (s *devSupervisor) apply(ctx context.Context, a tbhttp.ChaosAction) (tbhttp.ChaosState, error) {
	if err := s.applyLocked(a); err != nil {
		return tbhttp.ChaosState{}, err
	}
	if a.Action == tbhttp.ChaosDrain {
		// Outside the lock: the node answers at once, but it is a network call.
		if err := s.drain(ctx, a); err != nil {
			return tbhttp.ChaosState{}, err
		}
	}
	s.printf("%-6s | WARN fault injected: %s%s by %s via %s\n", "dev", a.Action, faultDetail(a), a.By, a.Via)
	return s.state(), nil
}

// faultDetail is what a fault's log line adds after the action.
func faultDetail(a tbhttp.ChaosAction) string {
	switch a.Action {
	case tbhttp.ChaosSlowPayments, tbhttp.ChaosSlowDatabase:
		return fmt.Sprintf(" %dms", a.DelayMS)
	}
	if a.Node != "" {
		return " " + a.Node
	}
	return ""
}

func (s *devSupervisor) applyLocked(a tbhttp.ChaosAction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch a.Action {
	case tbhttp.ChaosBrokerPause:
		if s.brokerFault == nil {
			s.brokerFault = pauseBroker(s.broker.Cluster())
		}
		return nil
	case tbhttp.ChaosBrokerResume:
		if s.brokerFault != nil {
			s.brokerFault.Remove()
			s.brokerFault = nil
		}
		return nil
	case tbhttp.ChaosSlowPayments:
		s.switches.PaymentDelayMS = a.DelayMS
		return nil
	case tbhttp.ChaosSlowDatabase:
		s.switches.StoreDelayMS = a.DelayMS
		return nil
	case tbhttp.ChaosStart:
		if a.Node == "" {
			return s.addNode()
		}
	}
	n, err := s.node(a.Node)
	if err != nil {
		return err
	}
	switch a.Action {
	case tbhttp.ChaosKill:
		if err := wantState(n, a.Action, nodeRunning, nodePaused); err != nil {
			return err
		}
		n.state = nodeKilled
		return n.cmd.Process.Signal(syscall.SIGKILL)
	case tbhttp.ChaosPause:
		if err := wantState(n, a.Action, nodeRunning); err != nil {
			return err
		}
		n.state = nodePaused
		return n.cmd.Process.Signal(syscall.SIGSTOP)
	case tbhttp.ChaosResume:
		if err := wantState(n, a.Action, nodePaused); err != nil {
			return err
		}
		n.state = nodeRunning
		return n.cmd.Process.Signal(syscall.SIGCONT)
	case tbhttp.ChaosStart:
		if err := wantState(n, a.Action, nodeKilled, nodeExited); err != nil {
			return err
		}
		return s.launch(n)
	case tbhttp.ChaosDrain:
		return wantState(n, a.Action, nodeRunning)
	}
	return actors.Invalid("action", "unknown action "+a.Action)
}

// node finds a node by name; s.mu must be held.
func (s *devSupervisor) node(name string) (*devNode, error) {
	for _, n := range s.nodes {
		if n.name == name {
			return n, nil
		}
	}
	return nil, &actors.Error{Code: actors.CodeNotFound, Message: "this dev cluster has no node " + name}
}

// wantState refuses an action the node's state does not allow.
func wantState(n *devNode, action string, allowed ...string) error {
	for _, st := range allowed {
		if n.state == st {
			return nil
		}
	}
	return actors.Invalid("action", fmt.Sprintf("%s is %s: %s needs it %v", n.name, n.state, action, allowed))
}

// addNode starts a new node on free ports; s.mu must be held.
func (s *devSupervisor) addNode() error {
	if len(s.nodes) >= devMaxNodes {
		return actors.Invalid("action", fmt.Sprintf("a dev cluster runs at most %d nodes", devMaxNodes))
	}
	httpPort, err := devFreePort()
	if err != nil {
		return actors.Unavailable("no free port for a new node: " + err.Error())
	}
	gossip, err := devFreePort()
	if err != nil {
		return actors.Unavailable("no free port for a new node: " + err.Error())
	}
	n := &devNode{name: fmt.Sprintf("node%d", len(s.nodes)+1), httpPort: httpPort, gossip: gossip}
	s.nodes = append(s.nodes, n)
	return s.launch(n)
}

// devFreePort finds a loopback port free for TCP and UDP (memberlist takes both).
func devFreePort() (int, error) {
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		pc.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no loopback port free for both TCP and UDP in 20 tries")
}

// drain asks the node to drain, with the caller's token.
func (s *devSupervisor) drain(ctx context.Context, a tbhttp.ChaosAction) error {
	s.mu.Lock()
	n, err := s.node(a.Node)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodPost,
		"http://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(n.httpPort))+"/api/v1/cluster/drain", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", a.Authorization)
	res, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		return actors.Unavailable(fmt.Sprintf("%s did not answer the drain: %v", n.name, err))
	}
	res.Body.Close()
	if res.StatusCode != nethttp.StatusAccepted {
		return actors.Unavailable(fmt.Sprintf("%s answered the drain %d", n.name, res.StatusCode))
	}
	return nil
}

// pauseBroker makes the broker fail every produce and fetch with a retriable error
// until the returned handle is removed: producers retry and the outbox grows,
// consumers stall, and both resume where they were.
func pauseBroker(c *kfake.Cluster) *kfake.FaultHandle {
	return c.Fault(kfake.Fault{
		Keys:  []kmsg.Key{kmsg.Produce, kmsg.Fetch},
		Err:   kerr.NotLeaderForPartition,
		Count: -1,
	})
}
