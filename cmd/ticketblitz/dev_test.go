package main

import (
	"bufio"
	"errors"
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
	"github.com/ticketblitz/ticketblitz/internal/testenv"
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
	testenv.Require(t, testenv.Both())
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
		if err := testenv.Try(time.Until(deadline), readyzOK(d.url(i))); err != nil {
			t.Fatalf("node on %s not ready: %v\n%s", d.url(i), err, d.logs.tail(40))
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
	var status strings.Builder
	// A status that never says "sees 2 members" fails below only if it does not name
	// both nodes; waited then says what the last attempt saw. Every 200 ms: the status
	// request counts against the admin's rate limit.
	waited := testenv.TryEvery(30*time.Second, 200*time.Millisecond, func() error {
		status.Reset()
		if err := run(t.Context(), []string{"cluster", "status", "--url", d.url(1)},
			func(string) string { return "" }, &status); err != nil {
			return fmt.Errorf("cluster status: %w", err)
		}
		if !strings.Contains(status.String(), "sees 2 members") {
			return errors.New("cluster status does not say node2 sees 2 members")
		}
		return nil
	})
	if !strings.Contains(status.String(), "node1") || !strings.Contains(status.String(), "node2") {
		t.Fatalf("cluster status (%v):\n%s", waited, status.String())
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
	var counts map[string]int
	testenv.EventuallyEvery(t, 10*time.Second, clusterPoll, func() error {
		counts, _ = sectionCounts(t, admin)
		if n := counts["node1"] + counts["node2"]; n != 4 {
			return fmt.Errorf("section counts %v: %d sections on the two nodes, want the 4 demo sections", counts, n)
		}
		return nil
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

// clusterPoll is how often tests read GET /api/v1/cluster while they wait for section
// counts: the route counts against the admin's rate limit.
const clusterPoll = 100 * time.Millisecond

// crossNodeFlow sends hold, extend, confirm (declined, then approved), cancel, and hold
// then release for one section through one node's API; and a release and a second cancel
// of what is finished, which the section answers "not in this section" and the Client
// from the store.
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
	want(t, a.do("DELETE", "/api/v1/holds/"+id, nil), 409, "HOLD_NOT_ACTIVE")
	want(t, a.do("POST", "/api/v1/orders/"+o.str("id")+"/cancel", nil), 409, "HOLD_NOT_ACTIVE")
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
