package cluster

import (
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// A member that crashes makes protoactor and memberlist log, on every survivor, an error
// for each request that was waiting on it and each attempt to reconnect to it: dozens of
// lines for a failover the cluster handles by itself (the provider reports the member
// lost, the sections move, actors.Client retries). Those records are written at debug
// level and counted instead; the worker logs one warning per burst with the counts.
const (
	// noiseQuiet is how long the noise must stop before its burst is summarised: longer
	// than protoactor's 2 s between reconnect attempts, so that one failover gives one
	// summary.
	noiseQuiet = 3 * time.Second
	// noiseMaxSpan bounds how long a burst that never stops (a member that stays
	// unreachable) goes without a summary.
	noiseMaxSpan = 30 * time.Second
)

// protoactorNoise reports whether a protoactor record is expected while a member is lost
// or leaves: a request that timed out or found its actor gone (actors.Client retries it
// with its idempotency key) and the remoting's failed connections to a member that went.
func protoactorNoise(msg string) bool {
	switch msg {
	case "cluster.RequestFuture failed",
		"Request retried but failed",
		"EndpointWriter lost connection",
		"EndpointWriter failed to connect",
		"EndpointWriter failed to create receive stream",
		"EndpointWriter failed to send connect request",
		"EndpointWriter failed to receive connect response",
		"EndpointWriter error when closing the stream",
		"EndpointWriter error when closing the client conn":
		return true
	}
	return false
}

// memberlistNoise reports whether a memberlist line (without its level) is a failed
// exchange with one peer: what a member that died, left or is being declared dead
// causes. Failure detection itself reports the outcome (member lost). Decoding, label
// and encryption errors are not noise: they mean a misconfigured cluster. kind is the
// line without its details (address, error), to count by.
func memberlistNoise(msg string) (kind string, ok bool) {
	rest, ok := strings.CutPrefix(msg, "memberlist: ")
	if !ok {
		return "", false
	}
	for _, p := range [...]string{
		"Failed fallback TCP ping",
		"Failed to send gossip to",
		"Push/Pull with",
		"Failed to send indirect",
		"Failed to forward ack",
		"Failed to send ack",
		"Failed to send nack",
		"Failed to send UDP ping",
		"Failed to send UDP compound ping",
	} {
		if strings.HasPrefix(rest, p) {
			return p, true
		}
	}
	return "", false
}

// noiseTally counts the library records taken for failover noise until the worker
// summarises them. The loggers add from any goroutine; a nil tally counts nothing.
type noiseTally struct {
	mu     sync.Mutex
	counts map[string]int      // by "source: message"
	peers  map[string]struct{} // remote addresses the records named
	first  time.Time
	last   time.Time
}

func newNoiseTally() *noiseTally {
	return &noiseTally{counts: map[string]int{}, peers: map[string]struct{}{}}
}

// add counts one record of source ("protoactor", "memberlist") about peer (may be empty).
func (t *noiseTally) add(source, msg, peer string, now time.Time) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.counts) == 0 {
		t.first = now
	}
	t.last = now
	t.counts[source+": "+msg]++
	if peer != "" {
		t.peers[peer] = struct{}{}
	}
}

// noiseSummary is one burst of failover noise.
type noiseSummary struct {
	counts      map[string]int
	peers       []string
	first, last time.Time
}

func (s noiseSummary) total() int {
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

// take returns and resets the counts once the burst has been quiet for quiet, or has
// lasted maxSpan; ok is false while it goes on (or nothing was counted).
func (t *noiseTally) take(now time.Time, quiet, maxSpan time.Duration) (s noiseSummary, ok bool) {
	if t == nil {
		return s, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.counts) == 0 || (now.Sub(t.last) < quiet && now.Sub(t.first) < maxSpan) {
		return s, false
	}
	s = noiseSummary{counts: t.counts, first: t.first, last: t.last}
	for p := range t.peers {
		s.peers = append(s.peers, p)
	}
	sort.Strings(s.peers)
	t.counts, t.peers = map[string]int{}, map[string]struct{}{}
	return s, true
}

// reportNoise logs the failover noise counted since the last summary, once its burst is
// over. It runs on the worker.
func (p *Provider) reportNoise(now time.Time) {
	s, ok := p.noise.take(now, noiseQuiet, noiseMaxSpan)
	if !ok {
		return
	}
	p.log.Warn("peer connection failures while the membership changed (library errors counted, logged at debug level)",
		zap.String("node", p.name), zap.Int("failures", s.total()), zap.Any("by_message", s.counts),
		zap.Strings("peers", s.peers), zap.Time("first", s.first), zap.Duration("span", s.last.Sub(s.first)))
}
