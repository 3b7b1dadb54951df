package scenario

import (
	"context"
	"errors"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// Ways a fan follows its ticket.
const (
	followJoin = "join"
	followWS   = "ws"
	followPoll = "poll"
)

// joinQueue joins the event's queue, retrying an unknown outcome or a 429/503 (a
// repeat join is harmless: the same ticket). The record keeps the first attempt's
// times: the time to first answer.
func (f *fan) joinQueue(ctx context.Context, cfg Config, eventID string, rec *QueueFanRecord) (api.QueueTicket, api.Result) {
	var t api.QueueTicket
	var r api.Result
	for a := 0; a <= cfg.Retries; a++ {
		t, r = f.client.JoinQueue(ctx, eventID)
		if a == 0 {
			rec.JoinStart, rec.JoinEnd = r.Start, r.End
		}
		if !r.Retryable() && r.Code != api.CodeUnavailable || ctx.Err() != nil {
			break
		}
		backoff(ctx, f.rng, a, r)
	}
	rec.JoinStatus = r.Status
	return t, r
}

// noteTicket keeps what a ticket answered at sent says; it reports whether the ticket
// carries a pass.
func noteTicket(rec *QueueFanRecord, t api.QueueTicket, sent, got time.Time) (string, bool) {
	if t.Position != nil {
		rec.Position = *t.Position
	}
	if t.Admitted() {
		if rec.Admitted.IsZero() {
			rec.Admitted = got
		}
		if t.PassExpiresAt != nil {
			rec.AdmittedSecond = t.PassExpiresAt.Add(-PassTTL)
		}
		return *t.Pass, true
	}
	if t.Status == "waiting" && t.Position != nil && sent.After(rec.LastWaiting) {
		rec.LastWaiting = sent
	}
	return "", false
}

// errTicketEnded means a ticket expired or vanished before its fan got a pass.
var errTicketEnded = errors.New("the ticket ended without a pass")

// awaitPass follows the ticket until it carries a pass: over the websocket when ws,
// else (or when the websocket fails) by polling every poll.
func (f *fan) awaitPass(ctx context.Context, t api.QueueTicket, ws bool, poll time.Duration, rec *QueueFanRecord) (string, error) {
	if ws {
		rec.Follow = followWS
		var pass string
		ended := false
		err := f.client.FollowQueue(ctx, t.ID, func(t api.QueueTicket) bool {
			// A pushed ticket's sending time is unknown: it proves nothing about order.
			var ok bool
			pass, ok = noteTicket(rec, t, time.Time{}, time.Now())
			ended = t.Status == "expired"
			return !ok && !ended
		})
		switch {
		case pass != "":
			return pass, nil
		case ended:
			return "", errTicketEnded
		case ctx.Err() != nil:
			return "", ctx.Err()
		}
		_ = err // the websocket failed: poll instead
	}
	rec.Follow = followPoll
	for {
		cur, r := f.client.QueueStatus(ctx, t.ID)
		if r.OK() && r.Err == nil {
			if pass, ok := noteTicket(rec, cur, r.Start, r.End); ok {
				return pass, nil
			}
			if cur.Status == "expired" {
				return "", errTicketEnded
			}
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		sleepCtx(ctx, poll)
	}
}

// holdWithPass asks for k best-available seats with the pass, retrying an unknown
// outcome with the same idempotency key. first is the first attempt.
func (f *fan) holdWithPass(ctx context.Context, eventID string, req api.HoldRequest, pass string, retries int) (h api.Hold, r, first api.Result) {
	key := f.key("h")
	for a := 0; a <= retries; a++ {
		h, r = f.client.HoldWithPass(ctx, eventID, req, key, pass)
		if a == 0 {
			first = r
		}
		if !r.Retryable() || ctx.Err() != nil {
			break
		}
		backoff(ctx, f.rng, a, r)
	}
	return h, r, first
}

// rushThroughRoom is one fan's part of the sale through the waiting room: join at the
// barrier, follow the ticket to a pass, hold best available with it, then the winner's
// paths.
func (f *fan) rushThroughRoom(ctx context.Context, cfg Config, eventID, sectionID string, ws bool, t *flashTally, rec *QueueFanRecord) {
	rec.User, rec.EventID = f.user, eventID
	defer func() { rec.Done = time.Now() }()
	tk, r := f.joinQueue(ctx, cfg, eventID, rec)
	if !r.OK() || r.Err != nil {
		t.failed.Add(1)
		t.refusal("join " + r.Code)
		return
	}
	rec.TicketID = tk.ID
	pass, ok := noteTicket(rec, tk, r.Start, r.End)
	if ok {
		rec.Follow = followJoin
	} else {
		var err error
		if pass, err = f.awaitPass(ctx, tk, ws, cfg.QueuePoll, rec); err != nil {
			t.failed.Add(1)
			t.refusal("no pass")
			return
		}
	}
	f.rushHold(ctx, cfg, eventID, sectionID, pass, t, rec)
}

// rushHold holds 1–4 (MinSeats..MaxSeats) best-available seats, with pass when the
// room is open, and goes on down the winner's paths.
func (f *fan) rushHold(ctx context.Context, cfg Config, eventID, sectionID, pass string, t *flashTally, rec *QueueFanRecord) {
	k := cfg.MinSeats + f.rng.IntN(cfg.MaxSeats-cfg.MinSeats+1)
	start := time.Now()
	h, r, first := f.holdWithPass(ctx, eventID, api.HoldRequest{SectionID: sectionID, Quantity: k}, pass, cfg.Retries)
	rec.HoldStart, rec.HoldEnd, rec.HoldStatus, rec.HoldCode = start, r.End, r.Status, r.Code
	if rec.JoinStart.IsZero() {
		// Without the room the hold is the fan's first request.
		rec.JoinStart, rec.JoinEnd, rec.JoinStatus = first.Start, first.End, r.Status
	}
	if !r.OK() || r.Err != nil {
		switch r.Code {
		case api.CodeSeatUnavailable, api.CodeSoldOut:
			t.lost.Add(1)
		default:
			t.failed.Add(1)
		}
		t.refusal(r.Code)
		return
	}
	rec.HoldID = h.ID
	t.fallbackWins.Add(1)
	f.afterHold(ctx, cfg, h, t)
}
