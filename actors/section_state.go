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
	// sharedLimit: the event has other sections, whose tickets count against the limit.
	sharedLimit bool

	epoch   int64
	version int64 // of the last committed batch

	seats   []Seat
	seatIdx map[string]int
	held    int // seats or places held (both kinds)
	sold    int

	// holds are the live holds, and finished ones until the batch that finished them
	// has committed; then they live only in the store.
	holds       map[string]*Hold
	activeHolds int
	expiries    expiryQueue
	// orders are the confirmed orders, and cancelled ones until their batch committed.
	orders      map[string]*Order
	userTickets map[string]int // held + sold tickets per user in this section; no zeros
	// keys are the first answers to idempotency keys given within the key window; older
	// ones live only in the store, where Client looks them up before it asks the section.
	keys    map[idemKey]*idemEntry
	keyAges keyQueue

	// skew is database time minus local time, measured at activation.
	skew time.Duration

	// attemptSeq is the number of the last attempt committed; seatNote is, per seat, the
	// attempt that last changed it (nil: before the activation), the cause of refusals.
	attemptSeq int64
	seatNote   []*attemptNote
	// digest and chain are the committed attempt digest and the link of version.
	digest, chain []byte
}

type idemKey struct{ user, key string }

// idemEntry is the first answer to an idempotency key. A replay is queued like any
// other decision, so it is not answered before the decision that gave it has committed.
type idemEntry struct {
	hash  []byte
	reply *Reply
}

// keyAge is when a committed idempotency answer was given, to forget it after the window.
type keyAge struct {
	k  idemKey
	e  *idemEntry
	at time.Time
}

// keyQueue holds keyAges oldest first.
type keyQueue struct {
	items []keyAge
	head  int
}

func (q *keyQueue) push(a keyAge) { q.items = append(q.items, a) }

func (q *keyQueue) len() int { return len(q.items) - q.head }

// popOlder removes and returns the oldest item when it is older than before.
func (q *keyQueue) popOlder(before time.Time) (keyAge, bool) {
	if q.head == len(q.items) || !q.items[q.head].at.Before(before) {
		return keyAge{}, false
	}
	a := q.items[q.head]
	q.items[q.head] = keyAge{}
	q.head++
	if q.head > len(q.items)/2 { // reuse the space of what was popped
		q.items = append(q.items[:0], q.items[q.head:]...)
		q.head = 0
	}
	return a, true
}

func newSectionState(snap *Snapshot, localNow time.Time) *sectionState {
	s := &sectionState{
		key: snap.Key, kind: snap.Kind, name: snap.Name, priceCents: snap.PriceCents,
		capacity: snap.Capacity, currency: snap.Currency, maxPerUser: snap.MaxTicketsPerUser,
		sharedLimit: snap.EventSections > 1,
		epoch:       snap.Epoch, version: snap.Version,
		seats:       snap.Seats,
		seatIdx:     make(map[string]int, len(snap.Seats)),
		held:        snap.Held,
		sold:        snap.Sold,
		holds:       make(map[string]*Hold, len(snap.Holds)),
		orders:      make(map[string]*Order, len(snap.Orders)),
		userTickets: make(map[string]int),
		keys:        make(map[idemKey]*idemEntry, len(snap.Idempotency)),
		skew:        snap.DBNow.Sub(localNow),
		attemptSeq:  snap.AttemptSeq,
		digest:      snap.AttemptDigest,
		chain:       snap.Chain,
		seatNote:    make([]*attemptNote, len(snap.Seats)),
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
		if h.Status != HoldHeld {
			continue // finished: the store answers for it
		}
		s.holds[h.ID] = &h
		s.activeHolds++
		s.userTickets[h.UserID] += h.Quantity
		s.expiries.push(h.ExpiresAt, h.ID)
	}
	for i := range snap.Orders {
		o := snap.Orders[i]
		if o.Status != OrderConfirmed {
			continue
		}
		s.orders[o.ID] = &o
		s.userTickets[o.UserID] += o.Quantity
	}
	for _, rec := range snap.Idempotency {
		reply, err := DecodeReply(rec.Response)
		if err != nil {
			continue // unreadable records are ignored; the key then acts as new
		}
		k, e := idemKey{rec.UserID, rec.Key}, &idemEntry{hash: rec.RequestHash, reply: reply}
		s.keys[k] = e
		at := rec.CreatedAt
		if at.IsZero() {
			at = snap.DBNow
		}
		s.keyAges.push(keyAge{k: k, e: e, at: at})
	}
	return s
}

// settle forgets what a committed batch finished: holds it released, expired or
// confirmed and orders it cancelled (nothing decides on them again, and no undo can need
// them: a batch that commits is never undone), and starts the window of the answers it
// stored. Then it forgets the answers older than the window.
func (s *sectionState) settle(written *Batch, now time.Time, window time.Duration) {
	for _, h := range written.Holds {
		if cur, ok := s.holds[h.ID]; ok && h.Status != HoldHeld && cur.Status == h.Status {
			delete(s.holds, h.ID)
		}
	}
	for _, o := range written.Orders {
		if cur, ok := s.orders[o.ID]; ok && o.Status == OrderCancelled && cur.Status == o.Status {
			delete(s.orders, o.ID)
		}
	}
	for _, r := range written.Keys {
		k := idemKey{r.UserID, r.Key}
		if e, ok := s.keys[k]; ok {
			s.keyAges.push(keyAge{k: k, e: e, at: now})
		}
	}
	s.forgetKeys(now, window)
}

// forgetKeys drops the idempotency answers given more than window before now.
func (s *sectionState) forgetKeys(now time.Time, window time.Duration) {
	for {
		a, ok := s.keyAges.popOlder(now.Add(-window))
		if !ok {
			return
		}
		if s.keys[a.k] == a.e {
			delete(s.keys, a.k)
		}
	}
}

// expiryLive reports whether e is the current expiry of a hold still held.
func (s *sectionState) expiryLive(e expiryEntry) bool {
	h, ok := s.holds[e.holdID]
	return ok && h.Status == HoldHeld && h.ExpiresAt.Equal(e.at)
}

// liveExpiries lists the expiry of every hold still held, for a rebuild of the queue.
func (s *sectionState) liveExpiries() []expiryEntry {
	out := make([]expiryEntry, 0, s.activeHolds)
	for _, h := range s.holds {
		if h.Status == HoldHeld {
			out = append(out, expiryEntry{at: h.ExpiresAt, holdID: h.ID})
		}
	}
	return out
}

// available is the number of free seats or places.
func (s *sectionState) available() int { return s.capacity - s.held - s.sold }

// fewerFree reports whether fewer than qty of a reserved section's seats can be free: its
// seats less those held or sold (the counters follow the seats' statuses), an upper
// bound of the seats BestAvailable may offer, which refuses whenever this is true.
func (s *sectionState) fewerFree(qty int) bool { return len(s.seats)-s.held-s.sold < qty }

// setSeat changes one seat and records how to undo it.
func (s *sectionState) setSeat(d *decision, i int, status SeatStatus, holdID, orderID string) {
	prev, prevNote := s.seats[i], s.seatNote[i]
	s.seats[i].Status, s.seats[i].HoldID, s.seats[i].OrderID = status, holdID, orderID
	if n := d.setter(); n != nil {
		s.seatNote[i] = n
	}
	s.countSeat(prev.Status, -1)
	s.countSeat(status, +1)
	d.seats = append(d.seats, i)
	d.undo = append(d.undo, func() {
		s.countSeat(s.seats[i].Status, -1)
		s.countSeat(prev.Status, +1)
		s.seats[i], s.seatNote[i] = prev, prevNote
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

// putHold stores a new or changed hold (h is a fresh copy) and records the undo. A hold
// that is held with a new expiry gets its entry in the expiry queue, and so does one an
// undo makes held again (an entry it had may have been passed over meanwhile).
func (s *sectionState) putHold(d *decision, h *Hold) {
	prev, existed := s.holds[h.ID]
	wasActive := existed && prev.Status == HoldHeld
	isActive := h.Status == HoldHeld
	s.holds[h.ID] = h
	s.activeHolds += boolInt(isActive) - boolInt(wasActive)
	if isActive && (!wasActive || !prev.ExpiresAt.Equal(h.ExpiresAt)) {
		s.pushExpiry(h)
	}
	d.holds = append(d.holds, h.ID)
	d.undo = append(d.undo, func() {
		s.activeHolds += boolInt(wasActive) - boolInt(isActive)
		if existed {
			s.holds[h.ID] = prev
			if wasActive {
				s.pushExpiry(prev)
			}
		} else {
			delete(s.holds, h.ID)
		}
	})
}

// pushExpiry queues h's expiry, keeping the queue proportional to the live holds.
func (s *sectionState) pushExpiry(h *Hold) {
	s.expiries.push(h.ExpiresAt, h.ID)
	s.expiries.compact(s.activeHolds, s.liveExpiries)
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
	s.moveTickets(user, n)
	d.tickets = append(d.tickets, ticketMove{user: user, n: n})
	d.undo = append(d.undo, func() { s.moveTickets(user, -n) })
}

// moveTickets adds n to a user's count, forgetting users who have none.
func (s *sectionState) moveTickets(user string, n int) {
	if t := s.userTickets[user] + n; t != 0 {
		s.userTickets[user] = t
	} else {
		delete(s.userTickets, user)
	}
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
