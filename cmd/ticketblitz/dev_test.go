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

	tbhttp "github.com/ticketblitz/ticketblitz/http"
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
	bin := buildPlainBinary(t) // two nodes talking: see buildPlainBinary
	db := fmt.Sprintf("tb_e2e_%d_%d", os.Getpid(), dbCounter.Add(1))
	t.Cleanup(func() { dropTestDB(db) })
	httpBase, gossipBase, broker := consecutivePorts(t)
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
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
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
	// Every command message crosses nodes: each node's API drives every demo section,
	// so for each section one of the two nodes is not its host and forwards the
	// protobuf messages to the other process (a plain struct would be dropped there).
	for i, port := range []int{httpBase, httpBase + 1} {
		for _, section := range []string{"floor", "A", "B", "arena"} {
			crossNodeFlow(t, fmt.Sprintf("http://127.0.0.1:%d", port), section, fmt.Sprintf("x%d-%s", i, section))
		}
	}
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() {
		<-scanned // read all output before Wait closes the pipe
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dev exited with %v\n%s", err, logs.tail(30))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("dev did not stop\n%s", logs.tail(30))
	}
	if n := strings.Count(logs.String(), "exited: ok"); n != 2 {
		t.Fatalf("%d nodes exited cleanly, want 2\n%s", n, logs.String())
	}
}

// crossNodeFlow sends hold, extend, confirm (declined, then approved), cancel, and hold
// then release for one section through one node's API.
func crossNodeFlow(t *testing.T, base, section, user string) {
	t.Helper()
	tok, _, err := tbhttp.IssueToken([]byte(devJWTSecret), user, "fan", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a := &api{t: t, base: base, token: tok, c: &nethttp.Client{Timeout: 60 * time.Second}}
	hold := func() string {
		r := a.do("POST", "/api/v1/events/demo/holds", map[string]any{"section_id": section, "quantity": 1})
		want(t, r, 201, "")
		return r.str("id")
	}
	id := hold()
	want(t, a.do("POST", "/api/v1/holds/"+id+"/extend", nil), 200, "")
	want(t, a.do("POST", "/api/v1/holds/"+id+"/confirm", map[string]any{"payment_token": "tok_decline"}), 402, "PAYMENT_DECLINED")
	o := a.do("POST", "/api/v1/holds/"+id+"/confirm", map[string]any{"payment_token": "tok_ok"})
	want(t, o, 201, "")
	want(t, a.do("POST", "/api/v1/orders/"+o.str("id")+"/cancel", nil), 200, "")
	want(t, a.do("DELETE", "/api/v1/holds/"+hold(), nil), 200, "")
}

// consecutivePorts finds free ports p, p+1 (HTTP), q, q+1 (gossip) and one for the broker.
func consecutivePorts(t *testing.T) (httpBase, gossipBase, broker int) {
	t.Helper()
	free := func(port int) bool {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return false
		}
		ln.Close()
		return true
	}
	for range 50 {
		p := freePorts(t, 3)
		if free(p[0]+1) && free(p[1]+1) && p[0]+1 != p[1] && p[1]+1 != p[0] && p[2] != p[0]+1 && p[2] != p[1]+1 {
			return p[0], p[1], p[2]
		}
	}
	t.Fatal("no free consecutive ports found in 50 tries")
	return 0, 0, 0
}
