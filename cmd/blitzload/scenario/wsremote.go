package scenario

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
)

// subscriptions are the fans' websocket subscriptions during a flash sale, held in this
// process (wsFleet) or in a companion process (remoteFleet).
type subscriptions interface {
	// heldAt notes when a fan learned it holds seats.
	heldAt(seats []string, at time.Time)
	// drain waits until the deltas of the sale have arrived, at most max.
	drain(max time.Duration)
	// close ends every subscription.
	close()
}

// remoteFleet keeps the subscriptions in a companion process, `blitzload subscribers`:
// with one keep-alive connection per fan here and one subscription per fan there,
// neither process needs more than one descriptor per fan, so 10,000 fans with their
// subscriptions fit under a 20,000-descriptor cap. The companion reports what its
// sampled subscribers saw (each seat turning held, and when); delivery latency is
// matched here against the holds' answers, as in this process.
type remoteFleet struct {
	env   *Env
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	done  bool

	mu   sync.Mutex
	held map[string][]time.Time // seat → the answers of the holds that took it
}

// remoteReady is the companion's first line; remoteSummary its last.
type remoteReady struct {
	Connected int `json:"connected"`
	Failed    int `json:"failed"`
}

type remoteSummary struct {
	Messages int64        `json:"messages"`
	Gaps     int64        `json:"gaps"`
	Held     []remoteSeen `json:"held"`
}

// remoteSeen is one sampled subscriber seeing a seat turn held.
type remoteSeen struct {
	Seat string `json:"s"`
	At   int64  `json:"t"` // unix nanoseconds
}

// needsCompanion reports whether the subscriptions must live in another process:
// fans and subscriptions together exceed the descriptor limit, the fans alone do not.
func needsCompanion(env *Env, cfg Config) bool {
	return cfg.WebSockets && env.Limit.Check(2*cfg.Fans) != nil && env.Limit.Check(cfg.Fans) == nil
}

// startRemoteWebSockets starts the companion and waits until its subscriptions are
// open. On failure the run goes on without websockets, as when the server refuses them.
func startRemoteWebSockets(ctx context.Context, env *Env, cfg Config, ref audit.SectionRef, res *Result) subscriptions {
	fail := func(err error) subscriptions {
		env.Collector.SetWebSocket(true, false, err.Error())
		res.note("websocket companion unavailable, run continues without websockets: %v", err)
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	cmd := exec.CommandContext(ctx, exe, "subscribers", "--target", cfg.wsTarget(), "--event", ref.EventID,
		"--count", strconv.Itoa(cfg.Fans), "--sample", strconv.Itoa(cfg.WSSample))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fail(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if err := cmd.Start(); err != nil {
		return fail(fmt.Errorf("start %s subscribers: %w", exe, err))
	}
	r := &remoteFleet{env: env, cmd: cmd, stdin: stdin, out: bufio.NewReaderSize(stdout, 1<<20), held: map[string][]time.Time{}}
	var ready remoteReady
	if err := r.readLine(&ready); err != nil {
		r.close()
		return fail(fmt.Errorf("companion: %w", err))
	}
	if ready.Connected == 0 {
		r.close()
		return fail(fmt.Errorf("companion opened no subscription (%d failed)", ready.Failed))
	}
	env.Collector.SetWebSocket(true, true, "")
	for range ready.Connected {
		env.Collector.WSConnected()
	}
	if ready.Failed > 0 {
		res.note("%d of %d websocket subscriptions failed", ready.Failed, cfg.Fans)
	}
	res.note("websocket subscriptions held by a companion process (fans and subscriptions together exceed %s)", env.Limit)
	return r
}

func (r *remoteFleet) readLine(v any) error {
	line, err := r.out.ReadBytes('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, v)
}

func (r *remoteFleet) heldAt(seats []string, at time.Time) {
	r.mu.Lock()
	for _, s := range seats {
		r.held[s] = append(r.held[s], at)
	}
	r.mu.Unlock()
}

// drain tells the companion the sale is over; it waits for quiet itself, then reports.
func (r *remoteFleet) drain(time.Duration) {
	if r.done {
		return
	}
	r.done = true
	_ = r.stdin.Close()
	var sum remoteSummary
	if err := r.readLine(&sum); err != nil {
		fmt.Fprintf(os.Stderr, "blitzload: websocket companion report: %v\n", err)
		return
	}
	for i := int64(0); i < sum.Messages; i++ {
		r.env.Collector.WSMessage(i < sum.Gaps)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, times := range r.held {
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	}
	for _, seen := range sum.Held {
		at := time.Unix(0, seen.At)
		times := r.held[seen.Seat]
		// The latest hold answer before the delta, as the in-process fleet does.
		i := sort.Search(len(times), func(i int) bool { return times[i].After(at) }) - 1
		if i >= 0 {
			r.env.Collector.WSDelivery(at.Sub(times[i]))
		}
	}
}

func (r *remoteFleet) close() {
	if !r.done {
		r.done = true
		_ = r.stdin.Close()
	}
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
}
