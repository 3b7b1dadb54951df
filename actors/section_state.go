package actors

import "time"

// sectionState is a section's state in the actor's memory: committed state plus every
// decision not yet committed. Only the actor's goroutine touches it. Every change goes
// through the set* methods, which record an undo step and what the next batch must write.
type sectionState struct {
	key        SectionKey
	kind       SectionKind
	name       string
	priceCents int64
	capacity   int
	currency   string
	maxPerUser int

	epoch   int64
	version int64 // of the last committed batch

	seats   []Seat
	seatIdx map[string]int
	held    int // seats or places held (both kinds)
	sold    int

	holds       map[string]*Hold // every hold this activation knows, active or not
	activeHolds int
	orders      map[string]*Order
	userTickets map[string]int // held + sold tickets per user in this section
	keys        map[idemKey]*idemEntry

	// skew is database time minus local time, measured at activation.
	skew time.Duration
}

type idemKey struct{ user, key string }

// idemEntry is the first answer to an idempotency key. A replay is queued like any
// other decision, so it is not answered before the decision that gave it has committed.
type idemEntry struct {
	hash  []byte
	reply *Reply
}

func newSectionState(snap *Snapshot, localNow time.Time) *sectionState {
	s := &sectionState{
		key: snap.Key, kind: snap.Kind, name: snap.Name, priceCents: snap.PriceCents,
		capacity: snap.Capacity, currency: snap.Currency, maxPerUser: snap.MaxTicketsPerUser,
		epoch: snap.Epoch, version: snap.Version,
		seats:       snap.Seats,
		seatIdx:     make(map[string]int, len(snap.Seats)),
		held:        snap.Held,
		sold:        snap.Sold,
		holds:       make(map[string]*Hold, len(snap.Holds)),
		orders:      make(map[string]*Order, len(snap.Orders)),
		userTickets: make(map[string]int),
		keys:        make(map[idemKey]*idemEntry, len(snap.Idempotency)),
		skew:        snap.DBNow.Sub(localNow),
	}
	if s.maxPerUser <= 0 {
		s.maxPerUser = DefaultMaxTicketsPerUser
	}
	if s.kind == KindReserved {
		s.held, s.sold = 0, 0
		for i, seat := range s.seats {
			s.seatIdx[seat.ID] = i
			switch seat.Status {
			case SeatHeld:
				s.held++
			case SeatSold:
				s.sold++
			}
		}
	}
	for i := range snap.Holds {
		h := snap.Holds[i]
		s.holds[h.ID] = &h
		if h.Status == HoldHeld {
			s.activeHolds++
			s.userTickets[h.UserID] += h.Quantity
		}
	}
	for i := range snap.Orders {
		o := snap.Orders[i]
		s.orders[o.ID] = &o
		if o.Status == OrderConfirmed {
			s.userTickets[o.UserID] += o.Quantity
		}
	}
	for _, rec := range snap.Idempotency {
		reply, err := DecodeReply(rec.Response)
		if err != nil {
			continue // unreadable records are ignored; the key then acts as new
		}
		s.keys[idemKey{rec.UserID, rec.Key}] = &idemEntry{hash: rec.RequestHash, reply: reply}
	}
	return s
}

// available is the number of free seats or places.
func (s *sectionState) available() int { return s.capacity - s.held - s.sold }

// setSeat changes one seat and records how to undo it.
func (s *sectionState) setSeat(d *decision, i int, status SeatStatus, holdID, orderID string) {
	prev := s.seats[i]
	s.seats[i].Status, s.seats[i].HoldID, s.seats[i].OrderID = status, holdID, orderID
	s.countSeat(prev.Status, -1)
	s.countSeat(status, +1)
	d.seats = append(d.seats, i)
	d.undo = append(d.undo, func() {
		s.countSeat(s.seats[i].Status, -1)
		s.countSeat(prev.Status, +1)
		s.seats[i] = prev
	})
}

func (s *sectionState) countSeat(st SeatStatus, n int) {
	switch st {
	case SeatHeld:
		s.held += n
	case SeatSold:
		s.sold += n
	}
}

// addPlaces moves general-admission counters.
func (s *sectionState) addPlaces(d *decision, held, sold int) {
	s.held += held
	s.sold += sold
	d.counters = true
	d.undo = append(d.undo, func() { s.held -= held; s.sold -= sold })
}

// putHold stores a new or changed hold (h is a fresh copy) and records the undo.
func (s *sectionState) putHold(d *decision, h *Hold) {
	prev, existed := s.holds[h.ID]
	wasActive := existed && prev.Status == HoldHeld
	isActive := h.Status == HoldHeld
	s.holds[h.ID] = h
	s.activeHolds += boolInt(isActive) - boolInt(wasActive)
	d.holds = append(d.holds, h.ID)
	d.undo = append(d.undo, func() {
		s.activeHolds += boolInt(wasActive) - boolInt(isActive)
		if existed {
			s.holds[h.ID] = prev
		} else {
			delete(s.holds, h.ID)
		}
	})
}

// putOrder stores a new or changed order and records the undo.
func (s *sectionState) putOrder(d *decision, o *Order) {
	prev, existed := s.orders[o.ID]
	s.orders[o.ID] = o
	d.orders = append(d.orders, o.ID)
	d.undo = append(d.undo, func() {
		if existed {
			s.orders[o.ID] = prev
		} else {
			delete(s.orders, o.ID)
		}
	})
}

// addTickets moves a user's ticket count in this section.
func (s *sectionState) addTickets(d *decision, user string, n int) {
	s.userTickets[user] += n
	d.undo = append(d.undo, func() { s.userTickets[user] -= n })
}

// rememberKey remembers a successful decision's answer under its idempotency key, when
// the command carried one. Refusals are not remembered: deciding them again gives the
// same refusal, or an answer that reflects what happened since.
func (s *sectionState) rememberKey(d *decision, k idemKey, hash []byte) {
	if k.key != "" && d.reply != nil && d.reply.GetCode() == ErrorCode_ERROR_CODE_NONE {
		s.putKey(d, k, hash, d.reply)
	}
}

// putKey remembers the first answer to an idempotency key.
func (s *sectionState) putKey(d *decision, k idemKey, hash []byte, reply *Reply) {
	s.keys[k] = &idemEntry{hash: hash, reply: reply}
	d.keys = append(d.keys, IdempotencyRecord{
		UserID: k.user, Key: k.key, EventID: s.key.EventID, SectionID: s.key.SectionID,
		RequestHash: hash, Response: EncodeReply(reply),
	})
	d.undo = append(d.undo, func() { delete(s.keys, k) })
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
