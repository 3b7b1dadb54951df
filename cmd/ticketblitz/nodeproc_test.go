package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// nodeProc is one process of a test cluster: a node (`serve`) or the shared broker.
type nodeProc struct {
	name   string
	url    string // a node's HTTP base URL, once it serves
	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan struct{} // closed once the process exited and its output was read
	err    error         // the exit status, set before exited closes
}

// launch runs bin with args and env, collecting its output lines. The process is killed
// when the test ends, if it still runs.
func launch(t *testing.T, name, bin string, args []string, env ...string) *nodeProc {
	t.Helper()
	p := &nodeProc{name: name, logs: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.logs.WriteLine(sc.Text())
		}
		p.err = p.cmd.Wait() // after the output was read: Wait closes the pipe
		close(p.exited)
	}()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

func (p *nodeProc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// kill stops the process with SIGKILL, as a crash would, and waits for it.
func (p *nodeProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop sends SIGTERM and fails t unless the process exits cleanly within 30 s.
func (p *nodeProc) stop(t *testing.T) {
	t.Helper()
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("%s exited with %v\n%s", p.name, p.err, p.logs.tail(30))
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("%s did not stop within 30 s of SIGTERM", p.name)
	}
}

// startBrokerProc runs `ticketblitz broker` on a free port and waits until it listens.
func startBrokerProc(t *testing.T, bin string) string {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
	b := launch(t, "broker", bin, []string{"broker", "--addr", addr})
	t.Cleanup(func() { b.stop(t) })
	testenv.Eventually(t, 30*time.Second, func() error {
		if !b.running() {
			return fmt.Errorf("broker exited: %v\n%s", b.err, b.logs.String())
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	})
	return addr
}

// startNodeProc runs `ticketblitz serve` named name with env; awaitReady waits for it.
// Its HTTP port is picked by the kernel and read from its "serving" line.
func startNodeProc(t *testing.T, bin, name string, env ...string) *nodeProc {
	t.Helper()
	env = append([]string{
		"TICKETBLITZ_NODE_NAME=" + name,
		"TICKETBLITZ_HTTP_ADDR=127.0.0.1:0",
		"TICKETBLITZ_LOG_FORMAT=json",
	}, env...)
	return launch(t, name, bin, []string{"serve"}, env...)
}

// awaitReady waits until the node serves and its /readyz answers 200.
func (p *nodeProc) awaitReady(t *testing.T) {
	t.Helper()
	testenv.EventuallyEvery(t, 60*time.Second, 50*time.Millisecond, func() error {
		if !p.running() {
			return fmt.Errorf("%s exited before it was ready: %v\n%s", p.name, p.err, p.logs.String())
		}
		if p.url == "" {
			p.url = servingURL(p.logs)
			if p.url == "" {
				return errors.New(p.name + " is not serving yet")
			}
		}
		return readyzOK(p.url)()
	})
}

// servingURL returns the URL of the "serving" line in logs, or "".
func servingURL(logs *syncBuffer) string {
	for _, line := range strings.Split(logs.String(), "\n") {
		var m struct {
			Msg string `json:"msg"`
			URL string `json:"url"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Msg == "serving" {
			return m.URL
		}
	}
	return ""
}

// freeLoopbackPort picks a port free for TCP and UDP on loopback below the kernel's
// ephemeral range, where outgoing connections of tests running alongside cannot take it.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	for range 200 {
		if p := 20000 + rand.IntN(12000); portsFree(p, 1) {
			return p
		}
	}
	t.Fatal("no free port found in 200 tries")
	return 0
}

// logEntry is one JSON log line with the fields the tests look at.
type logEntry struct {
	Level   string `json:"level"`
	Msg     string `json:"msg"`
	Logger  string `json:"logger"`
	Section string `json:"section"`
	Member  string `json:"member"`
	// MemberID is the protoactor member id a node logs when memberlist starts.
	MemberID string `json:"member_id"`
	// LeaseTakenFrom names the member whose section lease an activation took at once.
	LeaseTakenFrom string `json:"lease_taken_from"`
	// PreviousMember names the member whose expiry reminder lease a node took over.
	PreviousMember string `json:"previous_member"`
	raw            string
}

// logEntries parses every JSON line of logs; other lines come back with only raw set.
func logEntries(logs *syncBuffer) []logEntry {
	var out []logEntry
	for _, line := range strings.Split(logs.String(), "\n") {
		if line == "" {
			continue
		}
		var e logEntry
		_ = json.Unmarshal([]byte(line), &e)
		e.raw = line
		out = append(out, e)
	}
	return out
}
