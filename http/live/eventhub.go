package live

import (
	"context"
	"fmt"
	"sync"

	"github.com/ticketblitz/ticketblitz/actors"
)

// maxHubPending bounds the versions an event keeps while its seat maps are read; when
// more arrive, the read is thrown away and done again.
const maxHubPending = 4096

// eventHub is one event's live side on this node: its subscribers, and the state of its
// sections that every subscriber's snapshot is built from.
//
// The state is read from the store once, by the first subscriber (the others that
// arrive meanwhile wait for that read), and then kept current by the published
// versions. A subscriber joins under mu: it is queued the snapshot of the state at
// that moment, and from then on every version published after it. A version the
// snapshot covers is skipped for that subscriber (the store can be ahead of the
// stream). When the state stops being exact (a gap in the versions, a seat it does
// not know), it is dropped and the next subscriber reads it again; the subscribers
// already live keep receiving versions as they come, gaps passed on.
type eventHub struct {
	eventID   string
	sections  []actors.Section // fixed when the hub is made
	bySection map[string]int   // section id → position in sections
	read      func(ctx context.Context) ([]actors.SeatMap, error)

	refs int // attached sessions, waiting or live; guarded by EventFeed.mu

	mu       sync.Mutex
	subs     []*eventSub
	ready    bool
	views    []*sectionView // like sections; valid while ready
	load     *hubLoad       // the read under way, nil when none
	pending  []pendingVersion
	overflow bool
	snap     *frame  // the state's snapshot, encoded on demand; nil after a change
	snapFrom []int64 // snap's version per section; shared, read-only, by its subscribers
}

// hubLoad is one read of an event's seat maps; err is set before done is closed.
type hubLoad struct {
	done chan struct{}
	err  error
}

// pendingVersion is a version published while the seat maps were being read.
type pendingVersion struct {
	section int
	ch      actors.SectionChanged
}

// eventSub is one live subscriber of an event.
type eventSub struct {
	conn *conn
	from []int64 // per section: the snapshot's version
	pos  int     // position in eventHub.subs, -1 once gone
}

func newEventHub(eventID string, sections []actors.Section, read func(context.Context, string, []actors.Section) ([]actors.SeatMap, error)) *eventHub {
	h := &eventHub{eventID: eventID, sections: sections, bySection: make(map[string]int, len(sections))}
	for i, s := range sections {
		h.bySection[s.ID] = i
	}
	h.read = func(ctx context.Context) ([]actors.SeatMap, error) { return read(ctx, eventID, sections) }
	return h
}

// join subscribes c: it waits until the state is known (reading it when nobody is),
// then queues the snapshot and registers c for every later version. loadCtx bounds a
// read made on the way; ctx bounds the whole wait.
func (h *eventHub) join(ctx, loadCtx context.Context, c *conn) (*eventSub, error) {
	for {
		h.mu.Lock()
		if h.ready {
			s, err := h.joinLocked(c)
			h.mu.Unlock()
			return s, err
		}
		ld := h.load
		if ld == nil {
			ld = &hubLoad{done: make(chan struct{})}
			h.load, h.pending, h.overflow = ld, nil, false
			h.mu.Unlock()
			maps, err := h.read(loadCtx)
			h.finishLoad(ld, maps, err)
		} else {
			h.mu.Unlock()
		}
		select {
		case <-ld.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if ld.err != nil {
			return nil, ld.err
		}
	}
}

// finishLoad turns the seat maps read into the state, brought up to date with the
// versions published meanwhile. When those do not follow on, or too many came, the
// state stays unknown and the waiting subscribers read it again.
func (h *eventHub) finishLoad(ld *hubLoad, maps []actors.SeatMap, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	pending, overflow := h.pending, h.overflow
	h.load, h.pending, h.overflow = nil, nil, false
	defer close(ld.done)
	if err != nil {
		ld.err = err
		return
	}
	if overflow {
		return
	}
	views := make([]*sectionView, len(maps))
	for i, m := range maps {
		views[i] = newSectionView(m)
	}
	for _, p := range pending {
		if views[p.section].apply(p.ch) == broken {
			return
		}
	}
	h.views, h.ready, h.snap, h.snapFrom = views, true, nil, nil
}

// joinLocked queues the current snapshot for c and adds c to the subscribers. h.mu is held.
func (h *eventHub) joinLocked(c *conn) (*eventSub, error) {
	if h.snap == nil {
		out := snapshotJSON{Type: "snapshot", EventID: h.eventID, Sections: make([]any, 0, len(h.views))}
		from := make([]int64, len(h.views))
		for i, st := range h.views {
			out.Sections = append(out.Sections, st.snapshotSection())
			from[i] = st.version
		}
		msg, err := prepareJSON(out)
		if err != nil {
			return nil, fmt.Errorf("snapshot of event %s: %w", h.eventID, err)
		}
		h.snap, h.snapFrom = msg, from
	}
	c.send(h.snap)
	s := &eventSub{conn: c, from: h.snapFrom, pos: len(h.subs)}
	h.subs = append(h.subs, s)
	return s, nil
}

// leave removes s from the subscribers.
func (h *eventHub) leave(s *eventSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.pos < 0 {
		return
	}
	last := len(h.subs) - 1
	moved := h.subs[last]
	h.subs[s.pos], moved.pos = moved, s.pos
	h.subs[last] = nil
	h.subs = h.subs[:last]
	s.pos = -1
	// Give the memory of a crowd that left back.
	if cap(h.subs) > 64 && len(h.subs) < cap(h.subs)/4 {
		h.subs = append(make([]*eventSub, 0, 2*len(h.subs)), h.subs...)
	}
}

// publish applies one version of sectionID to the state and queues msg for every
// subscriber whose snapshot does not cover it. Calls for one section come in version
// order; publish never blocks on a client.
func (h *eventHub) publish(sectionID string, ch actors.SectionChanged, msg *frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	idx, known := h.bySection[sectionID]
	switch {
	case !known:
		idx = -1
	case h.load != nil:
		if len(h.pending) < maxHubPending {
			h.pending = append(h.pending, pendingVersion{section: idx, ch: ch})
		} else {
			h.overflow = true
		}
	case h.ready:
		switch h.views[idx].apply(ch) {
		case applied:
			h.snap, h.snapFrom = nil, nil
		case broken:
			h.ready, h.views, h.snap, h.snapFrom = false, nil, nil, nil
		}
	}
	for _, s := range h.subs {
		if idx >= 0 && ch.Version <= s.from[idx] {
			continue
		}
		s.conn.send(msg)
	}
}
