package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/serverproc"
)

// broker is the shared Kafka-protocol broker, run as `ticketblitz broker`.
type broker struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// startBroker runs the broker on a free port and waits until it accepts connections.
func startBroker(ctx context.Context, bin, logPath string) (*broker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("broker log: %w", err)
	}
	cmd := exec.Command(bin, "broker", "--addr", addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start broker: %w", err)
	}
	b := &broker{addr: addr, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(b.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return b, nil
		}
		select {
		case <-b.done:
			return nil, fmt.Errorf("broker exited before it listened; see %s", logPath)
		case <-ctx.Done():
			b.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.stop()
			return nil, fmt.Errorf("broker not listening on %s after 30s", addr)
		}
	}
}

func (b *broker) stop() {
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
}

// node is one cluster member's fixed identity: its name and addresses survive restarts.
type node struct {
	name                          string
	httpPort, gossipPort, rmtPort int
	srv                           *serverproc.Server
	starts                        int
}

func (n *node) base() string { return "http://127.0.0.1:" + strconv.Itoa(n.httpPort) }

func (n *node) gossip() string { return "127.0.0.1:" + strconv.Itoa(n.gossipPort) }

// newNode reserves free ports for a node.
func newNode(name string) (*node, error) {
	n := &node{name: name}
	return n, n.pickPorts()
}

// pickPorts chooses the node's three ports.
func (n *node) pickPorts() error {
	for _, p := range []*int{&n.httpPort, &n.gossipPort, &n.rmtPort} {
		port, err := freePort()
		if err != nil {
			return err
		}
		*p = port
	}
	return nil
}

// firstStartAttempts bounds how often a node's first start picks new ports after one
// of them was taken between freePort's check and the node's bind (by another process
// on the machine picking its ports alike).
const firstStartAttempts = 3

// start runs the node's process, joining through join, and waits for /readyz. A node
// that never ran yet and could not bind a port it was given tries again on new ones:
// nothing knows its addresses before its first start.
func (c *cluster) start(ctx context.Context, n *node, join []string) error {
	fresh := n.srv == nil
	for attempt := 1; ; attempt++ {
		err := c.startOnce(ctx, n, join)
		if !portTaken(err, fresh, attempt) || ctx.Err() != nil {
			return err
		}
		if perr := n.pickPorts(); perr != nil {
			return errors.Join(err, perr)
		}
	}
}

// portTaken reports whether a node's start failed, at its attempt-th try, only because
// a port it was given was taken, and a node that never ran (fresh) may take new ones.
func portTaken(err error, fresh bool, attempt int) bool {
	return err != nil && fresh && attempt < firstStartAttempts && strings.Contains(err.Error(), "address already in use")
}

// startOnce runs the node's process once.
func (c *cluster) startOnce(ctx context.Context, n *node, join []string) error {
	n.starts++
	srv, err := serverproc.Start(ctx, serverproc.Options{
		Bin: c.cfg.ServerBin, Strategy: "actor", PostgresURL: c.dbURL, RedisURL: c.cfg.RedisURL,
		Port: n.httpPort, JWTSecret: c.cfg.JWTSecret, HoldTTL: c.cfg.HoldTTL,
		LogPath:      filepath.Join(c.dir, fmt.Sprintf("%s-%d.log", n.name, n.starts)),
		ReadyTimeout: 60 * time.Second, PostgresPool: c.cfg.PostgresPool,
		Env: append([]string{
			"TICKETBLITZ_NODE_NAME=" + n.name,
			"TICKETBLITZ_CLUSTER_BIND=" + n.gossip(),
			"TICKETBLITZ_CLUSTER_JOIN=" + strings.Join(join, ","),
			"TICKETBLITZ_REMOTE_ADDR=127.0.0.1:" + strconv.Itoa(n.rmtPort),
			"TICKETBLITZ_KAFKA_BROKERS=" + c.broker.addr,
			"TICKETBLITZ_LOG_LEVEL=info",
			"TICKETBLITZ_LOG_FORMAT=json",
			"TICKETBLITZ_REDIS_PREFIX=" + c.redisPrefix(),
		}, c.cfg.Env...),
	})
	if err != nil {
		return fmt.Errorf("start %s: %w", n.name, err)
	}
	n.srv = srv
	return nil
}

// freePort picks a port free for TCP and UDP on loopback, at random below the kernel's
// ephemeral range (32768 and up): the fans' thousands of outgoing connections, and those
// of anything running alongside, cannot take it before the node binds it, and a node
// restarted on it finds it free again.
func freePort() (int, error) {
	for range 500 {
		p := 20000 + rand.IntN(12000)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			continue
		}
		pc.Close()
		return p, nil
	}
	return 0, fmt.Errorf("no free port found between 20000 and 32000")
}
