package cluster

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"
)

// Refused connections. memberlist needs about five probe intervals (2 s by default) to
// declare a killed member dead, because a silent member may only be slow. A killed
// process on a host that is still up is not silent, though: its host's kernel refuses
// (RST, ECONNREFUSED) every connection to the ports it listened on, at once, while a live
// process, however loaded, keeps its listeners, and its kernel completes connections
// without it. So, every scanInterval, a prober TCP-dials the gRPC remoting address of
// every member memberlist counts alive (not leaving, not this node) with a short timeout
// and closes the connection at once. Two refusals in a row, refusalConfirm apart, mark
// the member lost: MemberAlive says no, the worker publishes a topology without it (its
// sections move, and lease.go takes its leases over at once), and the worker logs the
// loss once, at WARN, with "refuses connections" as the reason. When memberlist declares
// it dead later, that is no new event and is logged at debug level only.
//
//   - Only a refusal counts. A timeout (a loaded host, a lost SYN, a firewall that
//     drops) says nothing, and neither does any other error (unreachable network, too
//     many open files); each of them, like a success, resets the count.
//   - The remoting port, not memberlist's: memberlist logs an error for every connection
//     that sends nothing, while gRPC does not log a connection closed before its preface
//     (io.EOF).
//   - Safety: a member lost by mistake is handled as one memberlist declared dead by
//     mistake (see the notes in provider.go). protoactor blocks its member id for good,
//     the epoch bump of every section activated elsewhere fences its writes out, and
//     it is sent the expulsion notice. And a process whose remoting listener refuses
//     cannot serve a request anyway. A firewall that rejects (RST) rather than drops
//     would make a partition look like a death: turn the prober off there
//     (Config.DisableRefusalProbe).
//   - A process restarted on the same address has a new member id: it is probed afresh,
//     and the old id stays lost.
//   - A graceful leave is untouched: a member announces Leaving, and is no longer probed,
//     before its listeners close.
//   - Cost: N-1 connection attempts per node per scanInterval, each a handshake and a
//     close on loopback or the LAN: 4 a second per member, nothing for the cluster sizes
//     the docs describe (tens of nodes).
const (
	// refusalTimeout bounds one dial. A timeout never counts, so it only needs to be well
	// under scanInterval.
	refusalTimeout = 100 * time.Millisecond
	// refusalConfirm is the pause before the dial that confirms a first refusal.
	refusalConfirm = 30 * time.Millisecond
	// refusalsToLose is how many refusals in a row mark a member lost.
	refusalsToLose = 2
	// reasonRefused is the reason field of the loss's log line.
	reasonRefused = "refuses connections"
)

// dialFunc dials like net.Dialer.DialContext; unit tests fake it.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// probeTarget is one member to dial: its memberlist name, protoactor member id and
// remoting address.
type probeTarget struct {
	name, id, addr string
}

// refusalProber decides, from its dials' outcomes, which members refuse connections.
// One goroutine calls round at a time.
type refusalProber struct {
	dial    dialFunc
	confirm time.Duration
	// refused counts the refusals in a row by member id.
	refused map[string]int
}

func newRefusalProber(dial dialFunc) *refusalProber {
	return &refusalProber{dial: dial, confirm: refusalConfirm, refused: map[string]int{}}
}

// round dials every target once, at the same time, and dials again, after the confirm
// pause, each one that refused for the first time. It returns the targets that refused
// refusalsToLose times in a row; it forgets them, and every member no longer listed. The
// target with id self is never dialled.
func (pr *refusalProber) round(ctx context.Context, self string, targets []probeTarget) []probeTarget {
	outcomes := make([][]bool, len(targets)) // per target, whether each dial was refused
	var wg sync.WaitGroup
	for i, t := range targets {
		if t.id == self {
			continue
		}
		before := pr.refused[t.id]
		wg.Add(1)
		go func() {
			defer wg.Done()
			refused := pr.refusedOnce(ctx, t.addr)
			outcomes[i] = append(outcomes[i], refused)
			if !refused || before+1 >= refusalsToLose {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(pr.confirm):
			}
			outcomes[i] = append(outcomes[i], pr.refusedOnce(ctx, t.addr))
		}()
	}
	wg.Wait()

	var lost []probeTarget
	listed := make(map[string]bool, len(targets))
	for i, t := range targets {
		if t.id == self {
			continue
		}
		listed[t.id] = true
		for _, refused := range outcomes[i] {
			if !refused {
				pr.refused[t.id] = 0
				continue
			}
			pr.refused[t.id]++
		}
		if pr.refused[t.id] >= refusalsToLose {
			lost = append(lost, t)
			delete(pr.refused, t.id)
		}
	}
	for id := range pr.refused {
		if !listed[id] {
			delete(pr.refused, id)
		}
	}
	return lost
}

// refusedOnce dials addr and closes the connection at once; it reports whether the
// connection was refused.
func (pr *refusalProber) refusedOnce(ctx context.Context, addr string) bool {
	dctx, cancel := context.WithTimeout(ctx, refusalTimeout)
	defer cancel()
	conn, err := pr.dial(dctx, "tcp", addr)
	if err == nil {
		_ = conn.Close()
		return false
	}
	return isRefusal(err)
}

// isRefusal reports whether err is a refused connection, and nothing else.
func isRefusal(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

// runRefusalProber dials the members memberlist counts alive every scanInterval, once the
// node has joined and until it leaves or stops, and marks lost those that refuse.
func (p *Provider) runRefusalProber(pr *refusalProber) {
	defer p.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-p.quit
		cancel()
	}()
	ticker := time.NewTicker(scanInterval)
	defer ticker.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-ticker.C:
		}
		if !p.isJoined() || p.leaving.Load() {
			continue
		}
		targets := p.probeTargets()
		for _, t := range pr.round(ctx, p.self.ID, targets) {
			p.markRefused(t)
		}
	}
}

// probeTargets lists the members to dial: alive to memberlist, not lost already, not
// leaving, of this cluster, and not this node.
func (p *Provider) probeTargets() []probeTarget {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []probeTarget
	for name, r := range p.records {
		if name == p.name || r.state != memberlist.StateAlive || r.refused() {
			continue
		}
		m, err := r.decode()
		if err != nil || m.Cluster != p.cfg.ClusterName || m.Leaving || m.ID == p.self.ID {
			continue
		}
		out = append(out, probeTarget{name: name, id: m.ID, addr: net.JoinHostPort(m.Host, strconv.Itoa(m.Port))})
	}
	return out
}

// markRefused marks t lost, unless its record changed meanwhile (it departed, or a new
// process took its name), and has the worker report it and publish without it.
func (p *Provider) markRefused(t probeTarget) {
	p.mu.Lock()
	r := p.records[t.name]
	if r == nil || r.state != memberlist.StateAlive || r.refused() {
		p.mu.Unlock()
		return
	}
	if m, err := r.decode(); err != nil || m.ID != t.id {
		p.mu.Unlock()
		return
	}
	r.refusedID, r.suspect = t.id, false
	p.queueLocked(memberEvent{kind: eventRefused, name: t.name, id: t.id, addr: t.addr})
	p.mu.Unlock()
	p.signal()
}
