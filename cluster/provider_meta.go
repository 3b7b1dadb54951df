package cluster

import (
	"time"

	"go.uber.org/zap"
)

// The section count in the metadata: how often the worker may re-announce it, and how
// long it waits for the broadcast to go out (about one gossip round).
const (
	countRefreshInterval = time.Second
	countAnnounceTimeout = 3 * gossipInterval
)

// announce applies change to this node's announced metadata and, when that changed
// anything, re-advertises the node through memberlist, waiting up to timeout for the
// broadcast to go out. It reports whether anything changed. It must never run inside a
// memberlist callback: UpdateNode takes memberlist's locks.
func (p *Provider) announce(change func(*nodeMeta), timeout time.Duration) (bool, error) {
	p.announceMu.Lock()
	defer p.announceMu.Unlock()
	next := p.announced
	change(&next)
	if sameBesidesCount(next, p.announced) && next.Sections == p.announced.Sections {
		return false, nil
	}
	b, err := encodeMeta(next)
	if err != nil {
		return false, err
	}
	p.announced = next
	p.meta.Store(&b)
	return true, p.updateNode(timeout)
}

// activeCount is how many virtual actors of the configured kinds are active on this
// node: protoactor's per-kind activation counts, kept by the placement actor. It is
// zero before StartMember.
func (p *Provider) activeCount() int {
	if p.cluster == nil {
		return 0
	}
	total := 0
	for _, k := range p.cfg.Kinds {
		if ak, ok := p.cluster.TryGetClusterKind(k.Kind); ok {
			total += int(ak.Count())
		}
	}
	return total
}

// countRefresh is the worker's memory of the last section-count announcement.
type countRefresh struct {
	at time.Time
}

// refreshCount re-announces the section count when it changed, at most once every
// countRefreshInterval. It runs on the worker.
func (p *Provider) refreshCount(now time.Time, last *countRefresh) {
	if now.Sub(last.at) < countRefreshInterval {
		return
	}
	n := p.countActive()
	changed, err := p.announce(func(m *nodeMeta) { m.Sections = n }, countAnnounceTimeout)
	if changed {
		last.at = now
	}
	if err != nil {
		// The broadcast stays queued; the next gossip round carries it.
		p.log.Debug("section count announced without confirmation", zap.String("node", p.name), zap.Int("sections", n), zap.Error(err))
	}
}
