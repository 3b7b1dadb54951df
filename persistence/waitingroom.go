package persistence

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ticketblitz/ticketblitz/actors"
	"github.com/ticketblitz/ticketblitz/waitingroom"
)

// WaitingRooms implements the waiting room's ports (waitingroom.QueueStore,
// HeadroomSource and SignalSink) on Redis, under prefix + "wr:". Every step that
// changes a queue is one Lua script, so nodes never see half a join or half an
// admission; the controller's steps also check, in the same script, that it still holds
// its lease (the fence). The state lives in Redis only: a Redis that keeps nothing on
// disk loses every room's queue when it restarts (tickets, positions and admissions;
// passes already issued stay valid until they expire, since they are verified by their
// signature).
type WaitingRooms struct {
	rdb     *redis.Client
	prefix  string
	batches roomBatches
	// limiter, when set, is charged for each join in the join's own script.
	limiter *RateLimiter
}

// NewWaitingRooms returns the waiting rooms stored in rdb under prefix.
func NewWaitingRooms(rdb *redis.Client, prefix string) *WaitingRooms {
	w := &WaitingRooms{rdb: rdb, prefix: prefix}
	w.batches = w.newBatches()
	return w
}

// ChargeJoinsTo makes every join spend one request of the user's allowance of l, under
// the key actors.UserRateKey(user id), as every route does, in the same script as the
// join: one round trip instead of two, with the same state and arithmetic as
// l.Allow, so the limit holds across nodes and routes. A refused join changes nothing
// and fails with a *RateLimitedError. Call it before the first join.
func (w *WaitingRooms) ChargeJoinsTo(l *RateLimiter) { w.limiter = l }

// signalTTL drops an event's signals once no node has published them for a while.
const signalTTL = 10 * time.Second

// admissionsKept is how long admissions are kept past a pass's lifetime, so that a
// ticket admitted a moment before its pass expired still reads as expired, not lost.
const admissionsKept = waitingroom.PassTTL + time.Minute

func (w *WaitingRooms) roomsKey() string   { return w.prefix + "wr:rooms" }
func (w *WaitingRooms) ticketsKey() string { return w.prefix + "wr:tickets" }

// eventKey names one of an event's keys. Event ids may hold ':', but two events' keys
// never meet: a key's last segment is one of the fixed names, which hold none, so the
// rest of the key is the event id.
func (w *WaitingRooms) eventKey(eventID, name string) string {
	return w.prefix + "wr:ev:" + eventID + ":" + name
}

// queueFields are the queue hash's fields, in the order the scripts answer them.
var queueFields = []string{"joined", "next", "wm", "closed", "base", "shuffles", "expired", "status"}

// settingsJSON is how a room's settings are stored.
type settingsJSON struct {
	Enabled   bool   `json:"enabled"`
	Order     string `json:"order"`
	OpensAt   int64  `json:"opens_at"` // unix ms; 0 for none
	AdmitPerS int    `json:"admit_per_s"`
	// DisabledAt is when the settings were saved disabled (unix ms; absent while
	// enabled).
	DisabledAt int64 `json:"disabled_at,omitempty"`
}

// statusJSON is how the controller's status is stored.
type statusJSON struct {
	Rate     float64 `json:"rate"`
	Change   string  `json:"change"`
	At       int64   `json:"at"`
	Nodes    int     `json:"nodes"`
	Sections int     `json:"sections"`
	DPS      float64 `json:"dps"`
	Depth    int     `json:"depth"`
	CommitMs float64 `json:"commit_ms"`
	SoldOut  bool    `json:"sold_out,omitempty"`
	// SoldOutAfter is the last position with a seat to wait for while sold out.
	SoldOutAfter int64 `json:"sold_out_after,omitempty"`
	// Expect is the rate the room expects to admit at, for the tickets' ETAs.
	Expect float64 `json:"expect,omitempty"`
	// SeatsUpTo is the last position the seats left cover, at the seats a fan takes.
	SeatsUpTo int64 `json:"seats_up_to,omitempty"`
}

// recordJSON is how a ticket's record is stored.
type recordJSON struct {
	EventID  string `json:"e"`
	UserID   string `json:"u"`
	Position int64  `json:"p"`
	JoinedAt int64  `json:"j"` // unix ms
}

func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromUnixMs(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// SaveSettings stores an event's room settings.
func (w *WaitingRooms) SaveSettings(ctx context.Context, s waitingroom.Settings, now time.Time) error {
	set := settingsJSON{Enabled: s.Enabled, Order: string(s.Order), OpensAt: unixMs(s.OpensAt), AdmitPerS: s.AdmitPerS}
	if !s.Enabled {
		set.DisabledAt = now.UnixMilli()
	}
	raw, err := json.Marshal(set)
	if err != nil {
		return fmt.Errorf("encode room settings: %w", err)
	}
	random := "0"
	if s.Order == waitingroom.OrderRandom {
		random = "1"
	}
	keys := []string{w.roomsKey(), w.eventKey(s.EventID, "q"), w.eventKey(s.EventID, "pending")}
	if err := settingsScript.Run(ctx, w.rdb, keys, s.EventID, raw, now.UnixMilli(), unixMs(s.OpensAt), random).Err(); err != nil {
		return fmt.Errorf("save room settings of %s: %w", s.EventID, err)
	}
	return nil
}

// Rooms returns the state of every configured room, without admissions: two round
// trips whatever the number of rooms.
func (w *WaitingRooms) Rooms(ctx context.Context) ([]waitingroom.QueueState, error) {
	all, err := w.rdb.HGetAll(ctx, w.roomsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("read the rooms: %w", err)
	}
	if len(all) == 0 {
		return nil, nil
	}
	type reads struct {
		id      string
		fields  *redis.SliceCmd
		pending *redis.IntCmd
	}
	rs := make([]reads, 0, len(all))
	_, err = w.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for id := range all {
			rs = append(rs, reads{
				id:      id,
				fields:  p.HMGet(ctx, w.eventKey(id, "q"), queueFields...),
				pending: p.LLen(ctx, w.eventKey(id, "pending")),
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the rooms' queues: %w", err)
	}
	out := make([]waitingroom.QueueState, 0, len(rs))
	for _, r := range rs {
		q, err := decodeQueue(r.id, all[r.id], r.fields.Val(), r.pending.Val())
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// QueueState returns an event's queue with at most maxAdmissions admissions above a
// position (all of them for a negative max), read in one transaction, which concurrent
// reads share.
func (w *WaitingRooms) QueueState(ctx context.Context, eventID string, above int64, maxAdmissions int) (waitingroom.QueueState, error) {
	a, err := w.batches.queues.do(ctx, queueRead{eventID: eventID, above: above, max: maxAdmissions})
	if err != nil {
		return waitingroom.QueueState{}, fmt.Errorf("read the queue of %s: %w", eventID, err)
	}
	return a.q, a.err
}

// Join issues userID a ticket, or answers the one they hold: concurrent joins share one
// script call, which runs them in turn.
func (w *WaitingRooms) Join(ctx context.Context, eventID, userID, newID string, now time.Time) (waitingroom.TicketRecord, bool, waitingroom.QueueState, error) {
	r := joinRequest{eventID: eventID, userID: userID, newID: newID, now: now}
	if w.limiter != nil {
		r.rateKey = w.limiter.redisKey(actors.UserRateKey(userID))
	}
	a, err := w.batches.joins.do(ctx, r)
	if err != nil {
		return waitingroom.TicketRecord{}, false, waitingroom.QueueState{}, fmt.Errorf("join the room of %s: %w", eventID, err)
	}
	return a.rec, a.created, a.q, a.err
}

// Ticket returns a ticket's record, or NOT_FOUND: concurrent reads share one HMGET.
func (w *WaitingRooms) Ticket(ctx context.Context, ticketID string) (waitingroom.TicketRecord, error) {
	a, err := w.batches.tickets.do(ctx, ticketID)
	if err != nil {
		return waitingroom.TicketRecord{}, fmt.Errorf("read ticket %s: %w", ticketID, err)
	}
	return a.rec, a.err
}

// Tickets returns the records of the tickets that exist among ids, with one HMGET.
func (w *WaitingRooms) Tickets(ctx context.Context, ids []string) ([]waitingroom.TicketRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	raws, err := w.rdb.HMGet(ctx, w.ticketsKey(), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("read %d tickets: %w", len(ids), err)
	}
	out := make([]waitingroom.TicketRecord, 0, len(ids))
	for i, raw := range raws {
		s, ok := raw.(string)
		if !ok {
			continue
		}
		rec, err := decodeRecord(ids[i], s)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// Admit runs one admission step of the controller holding fence's lease.
func (w *WaitingRooms) Admit(ctx context.Context, eventID string, fence waitingroom.Fence, n int64, now time.Time, st waitingroom.Status) (waitingroom.AdmitResult, error) {
	raw, err := json.Marshal(statusJSON{
		Rate: st.AdmittingPerS, Change: st.Change, At: unixMs(st.At), Nodes: st.Headroom.Nodes, Sections: st.Headroom.Sections,
		DPS: st.Headroom.DecisionsPerS, Depth: st.Headroom.MaxDepth, CommitMs: st.Headroom.CommitMs, SoldOut: st.SoldOut,
		SoldOutAfter: st.SoldOutAfter, Expect: st.ExpectedPerS, SeatsUpTo: st.SeatsUpTo,
	})
	if err != nil {
		return waitingroom.AdmitResult{}, fmt.Errorf("encode room status: %w", err)
	}
	keys := []string{w.roomsKey(), w.eventKey(eventID, "q"), w.eventKey(eventID, "pending"), w.eventKey(eventID, "adm"),
		leaseKey(w.prefix, fence.Lease)}
	keep := now.Add(-admissionsKept).UnixMilli()
	res, err := admitScript.Run(ctx, w.rdb, keys, eventID, fence.Owner, max(n, 0), now.UnixMilli(), keep, raw).Int64Slice()
	if err != nil {
		return waitingroom.AdmitResult{}, fmt.Errorf("admit into the room of %s: %w", eventID, err)
	}
	if len(res) == 1 {
		return waitingroom.AdmitResult{}, waitingroom.ErrNotLeader
	}
	if len(res) != 2 {
		return waitingroom.AdmitResult{}, fmt.Errorf("admit into the room of %s: unexpected answer %v", eventID, res)
	}
	return waitingroom.AdmitResult{Watermark: res[0], ShufflePending: res[1]}, nil
}

// PendingTickets returns the tickets waiting for their shuffle, in the order they joined.
func (w *WaitingRooms) PendingTickets(ctx context.Context, eventID string) ([]string, error) {
	ids, err := w.rdb.LRange(ctx, w.eventKey(eventID, "pending"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read the pending tickets of %s: %w", eventID, err)
	}
	return ids, nil
}

// ApplyShuffle gives the pending tickets their positions in the order of ids.
func (w *WaitingRooms) ApplyShuffle(ctx context.Context, eventID string, fence waitingroom.Fence, ids []string) (bool, error) {
	keys := []string{w.eventKey(eventID, "q"), w.eventKey(eventID, "pending"), w.ticketsKey(), leaseKey(w.prefix, fence.Lease)}
	args := make([]any, 0, len(ids)+1)
	args = append(args, fence.Owner)
	for _, id := range ids {
		args = append(args, id)
	}
	n, err := shuffleScript.Run(ctx, w.rdb, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("apply the shuffle of %s: %w", eventID, err)
	}
	if n < 0 {
		return false, waitingroom.ErrNotLeader
	}
	return n == 1, nil
}

// decodeQueue builds a queue from the stored settings, the queue hash's fields (in
// queueFields order, nil for missing ones) and the pending count.
func decodeQueue(eventID, rawSettings string, fields []any, pending int64) (waitingroom.QueueState, error) {
	return (&queueDecoder{}).decode(eventID, rawSettings, fields, pending)
}

// queueDecoder decodes the queues of one batch: the answers of a batch of joins or
// queue reads mostly carry the same event's settings and status, whose JSON it then
// decodes once, not once a fan.
type queueDecoder struct {
	settingsRaw string
	settings    settingsJSON
	statusRaw   string
	status      statusJSON
}

func (d *queueDecoder) decode(eventID, rawSettings string, fields []any, pending int64) (waitingroom.QueueState, error) {
	q := waitingroom.QueueState{Settings: waitingroom.Settings{EventID: eventID, Order: waitingroom.OrderFIFO}, Pending: pending}
	if rawSettings != "" {
		if rawSettings != d.settingsRaw {
			d.settingsRaw, d.settings = "", settingsJSON{}
			if err := json.Unmarshal([]byte(rawSettings), &d.settings); err != nil {
				return q, fmt.Errorf("room settings of %s: %w", eventID, err)
			}
			d.settingsRaw = rawSettings
		}
		s := d.settings
		q.Configured = true
		q.Settings = waitingroom.Settings{EventID: eventID, Enabled: s.Enabled, Order: waitingroom.Order(s.Order),
			OpensAt: fromUnixMs(s.OpensAt), AdmitPerS: s.AdmitPerS, DisabledAt: fromUnixMs(s.DisabledAt)}
	}
	num := func(i int) int64 {
		if i >= len(fields) {
			return 0
		}
		s, _ := fields[i].(string)
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	}
	q.Joined, q.Assigned, q.Watermark = num(0), num(1), num(2)
	q.Closed, q.ShuffleBase, q.Shuffles, q.ExpiredUpTo = num(3) == 1, num(4), num(5), num(6)
	if len(fields) > 7 {
		if raw, ok := fields[7].(string); ok && raw != "" {
			if raw != d.statusRaw {
				d.statusRaw = ""
				d.status = statusJSON{}
				if err := json.Unmarshal([]byte(raw), &d.status); err != nil {
					return q, fmt.Errorf("room status of %s: %w", eventID, err)
				}
				d.statusRaw = raw
			}
			st := d.status
			q.Status = waitingroom.Status{AdmittingPerS: st.Rate, Change: st.Change, At: fromUnixMs(st.At), SoldOut: st.SoldOut, SoldOutAfter: st.SoldOutAfter,
				ExpectedPerS: st.Expect, SeatsUpTo: st.SeatsUpTo,
				Headroom: waitingroom.Headroom{Nodes: st.Nodes, Sections: st.Sections, DecisionsPerS: st.DPS, MaxDepth: st.Depth, CommitMs: st.CommitMs}}
		}
	}
	return q, nil
}

func decodeRecord(id, raw string) (waitingroom.TicketRecord, error) {
	var r recordJSON
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return waitingroom.TicketRecord{}, fmt.Errorf("ticket %s: %w", id, err)
	}
	return waitingroom.TicketRecord{ID: id, EventID: r.EventID, UserID: r.UserID, Position: r.Position, JoinedAt: fromUnixMs(r.JoinedAt)}, nil
}

func decodeAdmission(member string) (waitingroom.Admission, error) {
	upTo, at, ok := strings.Cut(member, ":")
	u, err1 := strconv.ParseInt(upTo, 10, 64)
	ms, err2 := strconv.ParseInt(at, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return waitingroom.Admission{}, fmt.Errorf("admission %q is malformed", member)
	}
	return waitingroom.Admission{UpTo: u, At: fromUnixMs(ms)}, nil
}
