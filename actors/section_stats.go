package actors

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// SectionStats is a cheap snapshot of one section actor active on this node: what a
// caller outside the actor (the waiting room's headroom signal) reads to tell how busy
// the section is. Counters only rise while the activation lives; a caller computes
// rates from two snapshots.
type SectionStats struct {
	Key SectionKey
	// Decisions counts the decisions answered since the activation, refusals included.
	Decisions int64
	// Batches counts the batches written (committed, rolled back or fenced).
	Batches int64
	// CommitTime is the time spent writing those batches, in total.
	CommitTime time.Duration
	// LastCommit is how long the latest batch took to write.
	LastCommit time.Duration
	// Depth is how many messages wait in the actor's mailbox right now.
	Depth int
}

// sectionCounters are one live section's counters. The actor updates them with atomic
// operations; readers never block it.
type sectionCounters struct {
	decisions  atomic.Int64
	batches    atomic.Int64
	commitNs   atomic.Int64
	lastCommit atomic.Int64
	depth      func() int
	refs       int // activations of the key on this node, under sectionTable.mu
}

// sectionTable holds the counters of every section active on this node.
type sectionTable struct {
	mu   sync.Mutex // orders activations and passivations; lookups go through m
	m    sync.Map   // SectionKey → *sectionCounters
	keys map[SectionKey]*sectionCounters
}

// activate registers a section activation whose mailbox depth depth reads.
func (t *sectionTable) activate(key SectionKey, depth func() int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys = make(map[SectionKey]*sectionCounters)
	}
	c := t.keys[key]
	if c == nil {
		c = &sectionCounters{}
		t.keys[key] = c
		t.m.Store(key, c)
	}
	c.refs++
	c.depth = depth
}

// passivate forgets a section once its last activation on this node stopped.
func (t *sectionTable) passivate(key SectionKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.keys[key]
	if c == nil {
		return
	}
	if c.refs--; c.refs <= 0 {
		delete(t.keys, key)
		t.m.Delete(key)
	}
}

func (t *sectionTable) lookup(key SectionKey) *sectionCounters {
	c, _ := t.m.Load(key)
	sc, _ := c.(*sectionCounters)
	return sc
}

// snapshot returns every live section's stats, ordered by identity.
func (t *sectionTable) snapshot() []SectionStats {
	t.mu.Lock()
	out := make([]SectionStats, 0, len(t.keys))
	for key, c := range t.keys {
		s := SectionStats{
			Key:        key,
			Decisions:  c.decisions.Load(),
			Batches:    c.batches.Load(),
			CommitTime: time.Duration(c.commitNs.Load()),
			LastCommit: time.Duration(c.lastCommit.Load()),
		}
		if c.depth != nil {
			s.Depth = c.depth()
		}
		out = append(out, s)
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key.Identity() < out[j].Key.Identity() })
	return out
}

// SectionStats returns a snapshot of every section actor active on this node (none for
// a nil Metrics). It reads atomics only: calling it often never slows a section.
func (m *Metrics) SectionStats() []SectionStats {
	if m == nil {
		return nil
	}
	return m.sections.snapshot()
}
