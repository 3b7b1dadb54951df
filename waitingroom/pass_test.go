package waitingroom

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

func TestPassVerification(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	p := NewPasses([]byte("secret"))
	good := p.Issue("ev1", "alice", "q_1", now, now.Add(PassTTL))
	tamper := func(pass string) string {
		// Flip one character of the claims: the signature no longer matches.
		parts := strings.Split(pass, ".")
		b := []byte(parts[1])
		b[3] ^= 1
		parts[1] = string(b)
		return strings.Join(parts, ".")
	}
	tests := []struct {
		name, pass, event, user string
		at                      time.Time
		want                    string // "" for valid, else a word of the message
	}{
		{name: "valid", pass: good, event: "ev1", user: "alice", at: now},
		{name: "valid until the last moment", pass: good, event: "ev1", user: "alice", at: now.Add(PassTTL - time.Second)},
		{name: "another user", pass: good, event: "ev1", user: "bob", at: now, want: "another fan"},
		{name: "another event", pass: good, event: "ev2", user: "alice", at: now, want: "another event"},
		{name: "expired", pass: good, event: "ev1", user: "alice", at: now.Add(PassTTL), want: "expired"},
		{name: "tampered", pass: tamper(good), event: "ev1", user: "alice", at: now, want: "not valid"},
		{name: "signed with another secret", pass: NewPasses([]byte("other")).Issue("ev1", "alice", "q_1", now, now.Add(PassTTL)),
			event: "ev1", user: "alice", at: now, want: "not valid"},
		{name: "garbage", pass: "not a pass", event: "ev1", user: "alice", at: now, want: "malformed"},
		{name: "empty", pass: "", event: "ev1", user: "alice", at: now, want: "malformed"},
		{name: "another version", pass: "v2" + strings.TrimPrefix(good, "v1"), event: "ev1", user: "alice", at: now, want: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Verify(tt.pass, tt.event, tt.user, tt.at)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, actors.ErrQueueRequired) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want QUEUE_REQUIRED saying %q", err, tt.want)
			}
		})
	}
}

func TestCheckPassFollowsTheRoomsCache(t *testing.T) {
	store := newMemStore()
	clock := newFakeClock()
	s := newTestService(t, store, clock)
	ctx := t.Context()
	if err := s.CheckPass("ev1", "alice", ""); err != nil {
		t.Fatalf("no room: a hold needs no pass, got %v", err)
	}
	if _, err := s.SetRoom(ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO, AdmitPerS: 5}); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckPass("ev1", "alice", ""); !errors.Is(err, actors.ErrQueueRequired) {
		t.Fatalf("room enabled on this node: got %v, want QUEUE_REQUIRED at once", err)
	}
	if err := s.CheckPass("ev2", "alice", ""); err != nil {
		t.Fatalf("another event needs no pass, got %v", err)
	}
	pass := s.passes.Issue("ev1", "alice", "q_1", clock.Now(), clock.Now().Add(PassTTL))
	if err := s.CheckPass("ev1", "alice", pass); err != nil {
		t.Fatalf("a valid pass was refused: %v", err)
	}
	// Another node disables the room: this one follows at its next refresh.
	store.rooms["ev1"].Settings.Enabled = false
	if err := s.CheckPass("ev1", "alice", ""); !errors.Is(err, actors.ErrQueueRequired) {
		t.Fatalf("before the refresh: got %v, want the cached QUEUE_REQUIRED", err)
	}
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckPass("ev1", "alice", ""); err != nil {
		t.Fatalf("after the refresh the room is disabled: got %v", err)
	}
	if got := s.EnabledRooms(); len(got) != 0 {
		t.Fatalf("enabled rooms %v, want none", got)
	}
}

// staleRooms answers Rooms with what the store held before during runs.
type staleRooms struct {
	*memStore
	during func()
}

func (s *staleRooms) Rooms(ctx context.Context) ([]QueueState, error) {
	rooms, err := s.memStore.Rooms(ctx)
	if s.during != nil {
		s.during()
	}
	return rooms, err
}

func TestARefreshReadBeforeALocalChangeIsDropped(t *testing.T) {
	store := &staleRooms{memStore: newMemStore()}
	s := newTestService(t, store, newFakeClock())
	ctx := context.Background()
	store.during = func() {
		if _, err := s.SetRoom(ctx, Settings{EventID: "ev1", Enabled: true, Order: OrderFIFO}); err != nil {
			t.Error(err)
		}
	}
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckPass("ev1", "alice", ""); !errors.Is(err, actors.ErrQueueRequired) {
		t.Fatalf("a refresh read before the room opened on this node undid it: %v", err)
	}
	store.during = nil
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.EnabledRooms(); len(got) != 1 || got[0] != "ev1" {
		t.Fatalf("enabled rooms after a clean refresh: %v", got)
	}
}

// A pass issued before passes carried their admission (four claims) is still valid,
// its admission unknown; a pass that carries it reads it back to the millisecond.
func TestPassWithoutItsAdmissionStillVerifies(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	p := NewPasses([]byte("secret"))
	body := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`["ev1","alice","q_1",%d]`, now.Add(PassTTL).Unix())))
	old := passVersion + "." + body + "." + base64.RawURLEncoding.EncodeToString(p.mac(body))
	if err := p.Verify(old, "ev1", "alice", now); err != nil {
		t.Fatalf("a four-claim pass refused: %v", err)
	}
	if c, ok := passClaimsOf(old); !ok || c.TicketID != "q_1" || c.Admitted != 0 {
		t.Fatalf("a four-claim pass reads %+v (%v); want ticket q_1, admission unknown", c, ok)
	}
	admitted := now.Add(1234 * time.Millisecond)
	if c, ok := passClaimsOf(p.Issue("ev1", "alice", "q_1", admitted, now.Add(PassTTL))); !ok || c.Admitted != admitted.UnixMilli() {
		t.Fatalf("a pass reads %+v (%v); want admitted at %d", c, ok, admitted.UnixMilli())
	}
}
