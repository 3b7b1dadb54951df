package actors

import (
	"testing"
	"time"
)

// busy keeps the section's goroutine busy (between two messages) until the returned
// function is called: what is sent meanwhile waits in its mailbox.
func (h *harness) busy() (release func()) {
	h.t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.inspect(func(*sectionActor) {
			close(started)
			<-gate
		})
	}()
	<-started
	return func() {
		close(gate)
		<-done
	}
}

// keyedHold is fan's hold of seat with idempotency key key, due within a minute.
func keyedHold(h *harness, fan, key, seat string) *HoldCommand {
	return &HoldCommand{UserId: fan, Seats: []string{seat}, IdempotencyKey: key, RequestHash: []byte(seat),
		DeadlineUnixMicro: h.clock.Now().Add(time.Minute).UnixMicro()}
}

// TestRefusedCopyLeavesItsEarlierCopyUndecided: a fan's hold waits in a busy section's
// mailbox (its caller gave up on it); the fan sends it again with the same idempotency
// key and finds the mailbox full: answered OVERLOADED, nothing decided. The earlier copy,
// taken afterwards, must not be decided either: it is answered EXPIRED, and the seat
// stays free. Before the mailbox remembered the refused key, the earlier copy was
// decided and the fan held a seat the only answer about said was never decided.
func TestRefusedCopyLeavesItsEarlierCopyUndecided(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store, func(_ *harness, c *SectionConfig) { c.MailboxLimit = 1 })
	h.inspect(func(*sectionActor) {}) // activated: its mailbox is empty
	wantCode(t, h.hold("warm", "A-10"), nil)
	release := h.busy()
	first := h.future(keyedHold(h, "fan", "k", "A-1"))
	again := h.future(keyedHold(h, "fan", "k", "A-1"))
	wantCode(t, h.wait(again), errOverloaded)
	release()
	wantCode(t, h.wait(first), errExpired)
	if s := store.seat("A-1"); s.Status != SeatAvailable {
		t.Fatalf("the seat of the refused key was taken: %+v", s)
	}
	// Another key waiting meanwhile is decided as usual.
	release = h.busy()
	other := h.future(keyedHold(h, "fan2", "k2", "A-2"))
	wantCode(t, h.wait(h.future(keyedHold(h, "fan3", "k3", "A-3"))), errOverloaded)
	release()
	wantCode(t, h.wait(other), nil)
}

// TestFullMailboxAnswersADecidedKeyFromItsDecision: the section took and decided a fan's
// hold moments ago; the fan, who did not see the answer, sends it again with the same key
// while the mailbox is full. That copy is queued all the same and answered with the
// hold, rather than refused with an OVERLOADED that would say nothing was decided.
func TestFullMailboxAnswersADecidedKeyFromItsDecision(t *testing.T) {
	store := reserved(1, 10)
	h := newHarness(t, store, func(_ *harness, c *SectionConfig) { c.MailboxLimit = 1 })
	h.inspect(func(*sectionActor) {}) // activated: its mailbox is empty
	held := h.ask(keyedHold(h, "fan", "k", "A-1"))
	wantCode(t, held, nil)
	release := h.busy()
	filler := h.future(keyedHold(h, "fan2", "k2", "A-2"))
	again := h.future(keyedHold(h, "fan", "k", "A-1"))
	refused := h.future(keyedHold(h, "fan3", "k3", "A-3"))
	wantCode(t, h.wait(refused), errOverloaded)
	release()
	wantCode(t, h.wait(filler), nil)
	r := h.wait(again)
	wantCode(t, r, nil)
	if r.GetHold().GetId() != held.GetHold().GetId() {
		t.Fatalf("the copy was answered with hold %s, want the decided %s", r.GetHold().GetId(), held.GetHold().GetId())
	}
}

// TestSupersededCopyOfADecidedKeyIsAnsweredWithTheDecision: long after a key was
// decided (its taking forgotten), a copy of it waits in a busy mailbox and a later copy
// is refused. The waiting copy is not decided again, but the key's decision is what it
// is answered with: the section looks the key up before anything else.
func TestSupersededCopyOfADecidedKeyIsAnsweredWithTheDecision(t *testing.T) {
	store := reserved(1, 10)
	var window time.Duration
	h := newHarness(t, store, func(_ *harness, c *SectionConfig) {
		c.MailboxLimit = 1
		window = c.withDefaults().takenWindow()
	})
	h.inspect(func(*sectionActor) {}) // activated: its mailbox is empty
	held := h.ask(keyedHold(h, "fan", "k", "A-1"))
	wantCode(t, held, nil)
	h.clock.Advance(window + time.Second)
	wantCode(t, h.hold("warm", "A-10"), nil) // the ledger forgets the key
	release := h.busy()
	first := h.future(keyedHold(h, "fan", "k", "A-1"))
	wantCode(t, h.wait(h.future(keyedHold(h, "fan", "k", "A-1"))), errOverloaded)
	release()
	r := h.wait(first)
	wantCode(t, r, nil)
	if r.GetHold().GetId() != held.GetHold().GetId() {
		t.Fatalf("answered with hold %s, want the decided %s", r.GetHold().GetId(), held.GetHold().GetId())
	}
}

// TestKeyLedgerForgetsWhatNoLongerMatters: keys whose copies were all taken leave the
// ledger once the window passed; a key with a copy waiting stays.
func TestKeyLedgerForgetsWhatNoLongerMatters(t *testing.T) {
	l := keyLedger{window: time.Second, keys: make(map[idemKey]*keyEntry)}
	t0 := time.Unix(1000, 0)
	for i := range 100 {
		k := idemKey{"fan", string(rune('a'+i%26)) + string(rune('a'+i/26))}
		l.taken(k, l.queued(k), t0.Add(time.Duration(i)*time.Millisecond))
	}
	waiting := idemKey{"fan", "waiting"}
	l.queued(waiting)
	late := idemKey{"fan", "late"}
	l.taken(late, l.queued(late), t0.Add(5*time.Second))
	if n := l.size(); n != 2 {
		t.Fatalf("the ledger remembers %d keys, want the waiting one and the one just taken", n)
	}
}
