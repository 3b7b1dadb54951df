package live

import (
	"github.com/ticketblitz/ticketblitz/actors"
)

// sectionView is one section's committed state as the live feed knows it: read once
// from the store, then kept current by applying every following version. The
// snapshots of all the event's subscribers are built from it, so a subscriber never
// waits for a database read once the event is live.
type sectionView struct {
	id      string
	kind    actors.SectionKind
	version int64
	seats   []seatJSON     // reserved: in seat-map order
	index   map[string]int // reserved: seat id → position in seats

	capacity, available, held, sold int // general admission
}

func newSectionView(m actors.SeatMap) *sectionView {
	s := &sectionView{id: m.SectionID, kind: m.Kind, version: m.Version,
		capacity: m.Capacity, available: m.Available, held: m.Held, sold: m.Sold}
	if m.Kind == actors.KindGeneralAdmission {
		return s
	}
	s.kind = actors.KindReserved
	s.seats = make([]seatJSON, len(m.Seats))
	s.index = make(map[string]int, len(m.Seats))
	for i, st := range m.Seats {
		s.seats[i] = seatJSON{ID: st.ID, Status: string(st.Status)}
		s.index[st.ID] = i
	}
	return s
}

// applyResult is what apply made of one version.
type applyResult int

const (
	applied applyResult = iota // the state is now at ch.Version
	covered                    // the state already had that version
	broken                     // a gap or a seat it does not know: the state is no longer exact
)

// apply moves the state to version ch.Version. Only the next version applies; an older
// one is already covered, and a newer one means versions were missed.
func (s *sectionView) apply(ch actors.SectionChanged) applyResult {
	switch {
	case ch.Version <= s.version:
		return covered
	case ch.Version != s.version+1:
		return broken
	}
	if s.kind == actors.KindGeneralAdmission {
		if ch.Capacity > 0 {
			s.capacity = ch.Capacity
		}
		s.available, s.held, s.sold = ch.Available, ch.Held, ch.Sold
		s.version = ch.Version
		return applied
	}
	for _, c := range ch.Changes {
		if _, ok := s.index[c.ID]; !ok {
			return broken
		}
	}
	for _, c := range ch.Changes {
		s.seats[s.index[c.ID]].Status = string(c.Status)
	}
	s.version = ch.Version
	return applied
}

// snapshotSection is the section as the snapshot message shows it. It shares the
// state's seats: encode it before the state changes again (under the hub's lock).
func (s *sectionView) snapshotSection() any {
	if s.kind == actors.KindGeneralAdmission {
		return capacitySectionJSON{
			SectionID: s.id, Kind: string(s.kind), Version: s.version,
			Capacity: s.capacity, Available: s.available, Held: s.held, Sold: s.sold,
		}
	}
	return reservedSectionJSON{SectionID: s.id, Kind: string(actors.KindReserved), Version: s.version,
		Seats: s.seats}
}
