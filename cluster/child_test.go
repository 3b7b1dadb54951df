package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// runChild runs a node in this process for the parent test: it joins, waits until it
// sees two members in its topology, prints "READY <member id>", serves until its stdin
// closes, then stops; or, once expelled, prints "EXPELLED" and crashes.
func runChild() int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Start(ctx, testConfig(os.Getenv(childNameEnv), os.Getenv(childJoinEnv)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	deadline, _ := ctx.Deadline()
	if err := testenv.Try(time.Until(deadline), func() error {
		if ms := n.Members(); countIn(ms) < 2 {
			return fmt.Errorf("never saw two members in its topology: %s", describeMembers(ms))
		}
		return nil
	}); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		n.Crash()
		return 3
	}
	fmt.Printf("READY %s\n", n.MemberID())
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	select {
	case <-n.Expelled():
		fmt.Println("EXPELLED")
		n.Crash()
		return 0
	case <-eof:
	}
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer stopCancel()
	if err := n.Stop(stopCtx); err != nil {
		fmt.Fprintln(os.Stderr, "child: stop:", err)
		return 4
	}
	return 0
}

// childNode is a node running in a child process.
type childNode struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	ready    chan string   // the member id, once
	expelled chan struct{} // receives once the child printed EXPELLED
	stderr   *lockedBuffer
	exited   chan struct{}
}

// startChild re-executes the test binary as node name joining seed.
func startChild(t *testing.T, name, seed string) *childNode {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childNameEnv+"="+name, childJoinEnv+"="+seed)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &childNode{cmd: cmd, stdin: stdin, ready: make(chan string, 1), expelled: make(chan struct{}, 1),
		stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	cmd.Stdout = &readyWriter{ready: c.ready, expelled: c.expelled}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	go func() {
		_ = cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.exited
		if strings.Contains(c.stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("race detector report in child %s:\n%s", name, c.stderr.String())
		}
	})
	return c
}

// waitChildReady waits for the child's READY line and returns its member id.
func waitChildReady(ctx context.Context, t *testing.T, c *childNode) string {
	t.Helper()
	select {
	case id := <-c.ready:
		return id
	case <-c.exited:
		t.Fatalf("child exited before it was ready:\n%s", c.stderr.String())
	case <-ctx.Done():
		t.Fatalf("child not ready:\n%s", c.stderr.String())
	}
	return ""
}

// leave closes the child's stdin: it leaves the cluster gracefully and exits.
func (c *childNode) leave(t *testing.T) {
	t.Helper()
	if err := c.stdin.Close(); err != nil {
		t.Fatalf("close child stdin: %v", err)
	}
}

// signal sends sig to the child.
func (c *childNode) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal child: %v", err)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *childNode) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	<-c.exited
}

// readyWriter receives the child's stdout and reports its READY and EXPELLED lines.
type readyWriter struct {
	line     []byte
	ready    chan<- string
	expelled chan<- struct{}
}

func (w *readyWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b != '\n' {
			w.line = append(w.line, b)
			continue
		}
		if id, ok := strings.CutPrefix(string(w.line), "READY "); ok {
			select {
			case w.ready <- id:
			default:
			}
		}
		if string(w.line) == "EXPELLED" {
			select {
			case w.expelled <- struct{}{}:
			default:
			}
		}
		w.line = w.line[:0]
	}
	return len(p), nil
}

// lockedBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
