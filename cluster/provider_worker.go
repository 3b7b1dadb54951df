package cluster

import (
	"sort"
	"strconv"
	"strings"
	"time"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The member trace actions.
const (
	ActionJoin    = "join"
	ActionLeave   = "leave"
	ActionSuspect = "suspect"
	ActionAlive   = "alive"
)

// published remembers the last topology handed to protoactor.
type published struct {
	key string
	at  time.Time
}

// runWorker owns every call into protoactor's member list. It syncs when a callback wakes
// it and every scanInterval; it publishes when the member list changed and at least once
// every republishInterval, so a missed update heals by itself. It also re-announces this
// node's section count when it changed, at most once every countRefreshInterval.
func (p *Provider) runWorker() {
	defer p.wg.Done()
	ticker := time.NewTicker(scanInterval)
	defer ticker.Stop()
	var last published
	var count countRefresh
	prev := time.Now()
	for {
		select {
		case <-p.quit:
			return
		case <-p.wake:
		case <-ticker.C:
		}
		now := time.Now()
		if gap := now.Sub(prev); gap > stallLimit {
			p.stalled(gap)
		}
		prev = now
		p.sync(now, &last)
		p.refreshCount(now, &count)
		p.reportNoise(now)
	}
}

// sync reads memberlist's live members, updates the records, traces what changed and,
// once the node has joined, publishes the full member list to protoactor. Before the join
// it publishes nothing: a joining node must not place identities on a self-only view.
func (p *Provider) sync(now time.Time, last *published) {
	live := make(map[string]bool)
	for _, n := range p.ml.Members() {
		live[n.Name] = true // Name is never rewritten; other fields are read in the callbacks
	}

	p.mu.Lock()
	events, dropped := p.events, p.dropped
	p.events, p.dropped = nil, 0
	v := buildView(p.records, live, p.cfg.ClusterName, p.name, p.cfg.ProbeInterval, now)
	p.mu.Unlock()

	p.report(now, events, dropped, v)
	if !p.isJoined() {
		return
	}
	if p.leaving.Load() {
		// Handing over: without this node in its own topology, disthash's placement
		// actor stops every local activation, which now belongs to another member.
		v.members = withoutMember(v.members, p.self.ID)
	}
	key := topologyKey(v.members)
	if key != last.key || now.Sub(last.at) >= republishInterval {
		select {
		case <-p.quit:
			return
		default:
		}
		p.cluster.MemberList.UpdateClusterTopology(v.members)
		p.mu.Lock()
		p.published = v.members
		p.mu.Unlock()
		if key != last.key {
			p.log.Info("topology published", zap.String("node", p.name), zap.Int("members", len(v.members)))
		}
		*last = published{key: key, at: now}
	}
	p.sendNotices(now, v.members)
}

// withoutMember returns members without the member id.
func withoutMember(members []*protocluster.Member, id string) []*protocluster.Member {
	out := make([]*protocluster.Member, 0, len(members))
	for _, m := range members {
		if m.Id != id {
			out = append(out, m)
		}
	}
	return out
}

// view is one pass over the records.
type view struct {
	members   []*protocluster.Member
	suspected []string // became suspect in this pass
	recovered []string // stopped being suspect in this pass
	invalid   map[string]error
}

// buildView derives protoactor's member list from the records of the members memberlist
// lists as live and that are not leaving, marks members suspect whose direct probes went
// unanswered for longer than a probe round (probeInterval per live member), and forgets
// departed members after departedRetention. Suspects stay in the list: dropping them on a
// false suspicion would block their member id forever.
func buildView(records map[string]*memberRecord, live map[string]bool, clusterName, self string, probeInterval time.Duration, now time.Time) view {
	v := view{invalid: map[string]error{}}
	// memberlist probes one other live member per interval, round robin.
	suspectAfter := time.Duration(len(live)+1) * probeInterval
	for name, r := range records {
		if r.departed() {
			if now.Sub(r.since) > departedRetention {
				delete(records, name)
			}
			continue
		}
		if !live[name] || r.refused() {
			continue
		}
		if name != self {
			seen := r.lastAck
			if r.since.After(seen) {
				seen = r.since
			}
			suspect := now.Sub(seen) > suspectAfter
			if suspect && !r.suspect {
				v.suspected = append(v.suspected, name)
			} else if !suspect && r.suspect {
				v.recovered = append(v.recovered, name)
			}
			r.suspect = suspect
		}
		m, err := r.decode()
		if err == nil && m.Cluster != clusterName {
			err = errForeignCluster(m.Cluster)
		}
		if err != nil {
			if !r.warned {
				v.invalid[name] = err
				r.warned = true
			}
			continue
		}
		if m.Leaving {
			continue
		}
		v.members = append(v.members, m.member())
	}
	sort.Slice(v.members, func(i, j int) bool { return v.members[i].Id < v.members[j].Id })
	sort.Strings(v.suspected)
	sort.Strings(v.recovered)
	return v
}

type errForeignCluster string

func (e errForeignCluster) Error() string {
	return "member of cluster " + strconv.Quote(string(e))
}

// topologyKey identifies a member list: ids, addresses and kinds.
func topologyKey(members []*protocluster.Member) string {
	var b strings.Builder
	for _, m := range members {
		b.WriteString(m.Id)
		b.WriteByte('@')
		b.WriteString(m.Address())
		b.WriteByte('[')
		b.WriteString(strings.Join(m.Kinds, ","))
		b.WriteString("];")
	}
	return b.String()
}

// report logs and traces one pass's changes. It runs on the worker, outside every lock.
func (p *Provider) report(now time.Time, events []memberEvent, dropped int, v view) {
	if dropped > 0 {
		p.log.Warn("membership events dropped: the worker fell behind", zap.Int("dropped", dropped))
	}
	for _, e := range events {
		switch e.kind {
		case eventJoin:
			p.log.Info("member joined", zap.String("node", p.name), zap.String("member", e.name))
			p.trace(now, ActionJoin, e.name, "")
		case eventLeave:
			// memberlist calls NotifyLeave once per departure, so each is logged once.
			if e.left {
				p.log.Info("member left", zap.String("node", p.name), zap.String("member", e.name), zap.String("outcome", string(StatusLeft)))
				p.trace(now, ActionLeave, e.name, string(StatusLeft))
				continue
			}
			if e.lostAlready {
				// Reported when it refused connections: the same failover, not a new one.
				p.log.Debug("member declared dead by failure detection after it refused connections",
					zap.String("node", p.name), zap.String("member", e.name))
				continue
			}
			p.log.Warn("member lost: declared dead by failure detection; its sections move to the others",
				zap.String("node", p.name), zap.String("member", e.name), zap.String("outcome", string(StatusDead)))
			p.trace(now, ActionLeave, e.name, string(StatusDead))
		case eventRefused:
			p.log.Warn("member lost: its process refuses connections; its sections move to the others",
				zap.String("node", p.name), zap.String("member", e.name), zap.String("member_id", e.id),
				zap.String("address", e.addr), zap.String("reason", reasonRefused), zap.String("outcome", string(StatusDead)))
			p.trace(now, ActionLeave, e.name, string(StatusDead))
		case eventUpdate:
			if e.countOnly {
				p.log.Debug("member announced its section count", zap.String("node", p.name), zap.String("member", e.name), zap.Int("sections", e.sections))
			} else {
				p.log.Info("member updated its metadata", zap.String("node", p.name), zap.String("member", e.name))
			}
		}
	}
	for _, name := range v.suspected {
		p.log.Info("member suspect: direct probes unanswered", zap.String("node", p.name), zap.String("member", name))
		p.trace(now, ActionSuspect, name, "")
	}
	for _, name := range v.recovered {
		p.log.Info("member answers probes again", zap.String("node", p.name), zap.String("member", name))
		p.trace(now, ActionAlive, name, "")
	}
	for name, err := range v.invalid {
		p.log.Warn("member ignored: unusable metadata", zap.String("node", p.name), zap.String("member", name), zap.Error(err))
	}
}

func (p *Provider) trace(now time.Time, action, member, outcome string) {
	p.tracer.Trace(actors.Trace{Type: actors.TraceMember, At: now, Node: p.name, Action: action, Member: member, Outcome: outcome})
}

// runJoin contacts the seeds until one answers or the provider stops, backing off from
// joinBackoffMin to joinBackoffMax.
func (p *Provider) runJoin(seeds []string) {
	defer p.wg.Done()
	backoff := joinBackoffMin
	for attempt := 1; ; attempt++ {
		n, err := p.ml.Join(seeds)
		if n > 0 {
			p.log.Info("joined cluster", zap.String("node", p.name), zap.Int("contacted", n), zap.Int("attempts", attempt))
			p.markJoined()
			return
		}
		p.log.Info("join failed; retrying", zap.String("node", p.name), zap.Strings("seeds", seeds),
			zap.Int("attempt", attempt), zap.Duration("backoff", backoff), zap.Error(err))
		t := time.NewTimer(backoff)
		select {
		case <-p.quit:
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, joinBackoffMax)
	}
}
