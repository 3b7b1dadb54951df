package main

import (
	"bufio"
	"fmt"
	"net"
	nethttp "net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// freePorts returns n distinct free TCP ports on loopback.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for len(ports) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// TestDevCluster starts "ticketblitz dev --nodes 2": both nodes become ready, see each
// other, and stop cleanly on SIGTERM.
func TestDevCluster(t *testing.T) {
	requireServices(t)
	bin := buildBinary(t)
	db := fmt.Sprintf("tb_e2e_%d_%d", os.Getpid(), dbCounter.Add(1))
	t.Cleanup(func() { dropTestDB(db) })
	// Consecutive ports: find a run of two free HTTP and two free gossip ports.
	p := freePorts(t, 3)
	httpBase, gossipBase, broker := p[0], p[1], p[2]
	for _, q := range []int{httpBase + 1, gossipBase + 1} {
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", q)); err != nil {
			t.Skipf("port %d busy; no consecutive pair this time", q)
		} else {
			ln.Close()
		}
	}
	cmd := exec.Command(bin, "dev", "--nodes", "2", "--http-port", fmt.Sprint(httpBase),
		"--gossip-port", fmt.Sprint(gossipBase), "--broker", fmt.Sprintf("127.0.0.1:%d", broker))
	cmd.Env = append(os.Environ(), "TICKETBLITZ_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/"+db+"?sslmode=disable",
		"TICKETBLITZ_POSTGRES_POOL=8")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			logs.WriteLine(sc.Text())
		}
	}()
	defer func() { _ = cmd.Process.Kill() }()

	deadline := time.Now().Add(60 * time.Second)
	for _, port := range []int{httpBase, httpBase + 1} {
		for {
			res, err := nethttp.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
			if err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("node on %d not ready\n%s", port, logs.tail(40))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	var status strings.Builder
	for time.Now().Before(deadline) {
		status.Reset()
		err := run(t.Context(), []string{"cluster", "status", "--url", fmt.Sprintf("http://127.0.0.1:%d", httpBase+1)},
			func(string) string { return "" }, &status)
		if err == nil && strings.Contains(status.String(), "sees 2 members") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(status.String(), "node1") || !strings.Contains(status.String(), "node2") {
		t.Fatalf("cluster status:\n%s", status.String())
	}
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dev exited with %v\n%s", err, logs.tail(30))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("dev did not stop\n%s", logs.tail(30))
	}
	if n := strings.Count(logs.String(), "exited: ok"); n != 2 {
		t.Fatalf("%d nodes exited cleanly, want 2\n%s", n, logs.tail(30))
	}
}
