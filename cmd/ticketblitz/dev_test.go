package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	nethttp "net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// devCluster is "ticketblitz dev --nodes 2" running as a child process.
type devCluster struct {
	t        *testing.T
	cmd      *exec.Cmd
	logs     *syncBuffer
	scanned  chan struct{}
	done     chan error
	httpBase int
}

// startDev runs "ticketblitz dev --nodes 2" on free ports against a fresh database, with
// extra environment, and waits until both nodes' /readyz answer 200.
func startDev(t *testing.T, env ...string) *devCluster {
	t.Helper()
	requireServices(t)
	bin := buildPlainBinary(t) // two nodes talking: see buildPlainBinary
	db := fmt.Sprintf("tb_e2e_%d_%d", os.Getpid(), dbCounter.Add(1))
	t.Cleanup(func() { dropTestDB(db) })
	httpBase, gossipBase, broker := consecutivePorts(t)
	cmd := exec.Command(bin, "dev", "--nodes", "2", "--http-port", fmt.Sprint(httpBase),
		"--gossip-port", fmt.Sprint(gossipBase), "--broker", fmt.Sprintf("127.0.0.1:%d", broker))
	cmd.Env = append(os.Environ(), "TICKETBLITZ_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/"+db+"?sslmode=disable",
		"TICKETBLITZ_POSTGRES_POOL=8")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &devCluster{t: t, cmd: cmd, logs: &syncBuffer{}, scanned: make(chan struct{}), done: make(chan error, 1), httpBase: httpBase}
	go func() {
		defer close(d.scanned)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			d.logs.WriteLine(sc.Text())
		}
	}()
	go func() {
		<-d.scanned // read all output before Wait closes the pipe
		d.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	deadline := time.Now().Add(60 * time.Second)
	for i := range 2 {
		for {
			res, err := nethttp.Get(d.url(i) + "/readyz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("node on %s not ready\n%s", d.url(i), d.logs.tail(40))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return d
}

// url is node i's base URL (node1 is 0).
func (d *devCluster) url(i int) string { return fmt.Sprintf("http://127.0.0.1:%d", d.httpBase+i) }

// stop interrupts dev and waits for it to exit cleanly.
func (d *devCluster) stop() {
	d.t.Helper()
	_ = d.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-d.done:
		if err != nil {
			d.t.Fatalf("dev exited with %v\n%s", err, d.logs.tail(30))
		}
	case <-time.After(30 * time.Second):
		d.t.Fatalf("dev did not stop\n%s", d.logs.tail(30))
	}
}

// TestDevCluster starts "ticketblitz dev --nodes 2": both nodes become ready, see each
// other and each other's section counts, and stop cleanly on SIGTERM.
func TestDevCluster(t *testing.T) {
	d := startDev(t)
	deadline := time.Now().Add(30 * time.Second)
	var status strings.Builder
	for time.Now().Before(deadline) {
		status.Reset()
		err := run(t.Context(), []string{"cluster", "status", "--url", d.url(1)},
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
	for i := range 2 {
		for _, section := range []string{"floor", "A", "B", "arena"} {
			crossNodeFlow(t, d.url(i), section, fmt.Sprintf("x%d-%s", i, section))
		}
	}
	// Both nodes' counts of the four demo sections reach node2's API: its own live, node1's
	// through node1's metadata.
	admin := &api{t: t, base: d.url(1), token: adminToken(t), c: &nethttp.Client{Timeout: 10 * time.Second}}
	counts := waitSectionCounts(t, admin, 10*time.Second, func(c map[string]int) bool {
		return c["node1"]+c["node2"] == 4
	})
	t.Logf("sections per node, as node2 reports them: %v", counts)
	d.stop()
	if n := strings.Count(d.logs.String(), "exited: ok"); n != 2 {
		t.Fatalf("%d nodes exited cleanly, want 2\n%s", n, d.logs.String())
	}
}

// adminToken mints an admin token with the development secret.
func adminToken(t *testing.T) string {
	t.Helper()
	tok, _, err := tbhttp.IssueToken([]byte(devJWTSecret), "root", "admin", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sectionCounts reads GET /api/v1/cluster: sections and status by member name.
func sectionCounts(t *testing.T, admin *api) (map[string]int, map[string]string) {
	t.Helper()
	r := admin.do("GET", "/api/v1/cluster", nil)
	want(t, r, 200, "")
	counts, statuses := map[string]int{}, map[string]string{}
	members, _ := r.Body["members"].([]any)
	for _, x := range members {
		m, _ := x.(map[string]any)
		name, _ := m["name"].(string)
		n, _ := m["sections"].(float64)
		counts[name] = int(n)
		statuses[name], _ = m["status"].(string)
	}
	return counts, statuses
}

// waitSectionCounts polls GET /api/v1/cluster until cond holds for the section counts.
func waitSectionCounts(t *testing.T, admin *api, timeout time.Duration, cond func(map[string]int) bool) map[string]int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		counts, _ := sectionCounts(t, admin)
		if cond(counts) {
			return counts
		}
		if time.Now().After(deadline) {
			t.Fatalf("section counts %v after %v", counts, timeout)
		}
		time.Sleep(100 * time.Millisecond)
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
	// Below the kernel's ephemeral range (32768 and up), where the many outgoing
	// connections of tests running alongside cannot take them meanwhile.
	for range 200 {
		base := 20000 + rand.IntN(12000)
		if portsFree(base, 5) {
			return base, base + 2, base + 4
		}
	}
	t.Fatal("no five free consecutive ports found in 200 tries")
	return 0, 0, 0
}

// portsFree reports whether TCP and UDP ports base … base+n-1 are free on loopback.
func portsFree(base, n int) bool {
	for p := base; p < base+n; p++ {
		addr := fmt.Sprintf("127.0.0.1:%d", p)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		ln.Close()
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		pc.Close()
	}
	return true
}
