package scenario

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// Ways a fan follows its ticket.
const (
	followJoin = "join"
	followWS   = "ws"
	followPoll = "poll"
	// followRead: reads that wait for the ticket's change (Config.QueueWait).
	followRead = "wait"
)

// maxReadWait is the longest a read of a ticket may wait for its change (wait_ms).
const maxReadWait = 30 * time.Second

// readWait is how long a fan's read of its ticket waits for its change: cfg.QueueWait,
// at most half the request timeout and maxReadWait, in whole milliseconds; zero polls.
func readWait(cfg Config) time.Duration {
	return min(cfg.QueueWait, cfg.Timeout/2, maxReadWait).Truncate(time.Millisecond)
}

// joinQueue joins the event's queue, retrying an unknown outcome or a 429/503 (a
// repeat join is harmless: the same ticket). The record keeps the time to first
// answer: from the first attempt to the first that got one, whatever it said.
func (f *fan) joinQueue(ctx context.Context, cfg Config, eventID string, rec *QueueFanRecord) (api.QueueTicket, api.Result) {
	var t api.QueueTicket
	var r api.Result
	for a := 0; a <= cfg.Retries; a++ {
		t, r = f.client.JoinQueue(ctx, eventID)
		if a == 0 {
			rec.JoinStart = r.Start
		}
		if rec.JoinEnd.IsZero() && r.Status != 0 {
			rec.JoinEnd = r.End
		}
		if !r.Retryable() && r.Code != api.CodeUnavailable || ctx.Err() != nil {
			break
		}
		backoff(ctx, f.rng, a, r)
	}
	if rec.JoinEnd.IsZero() {
		rec.JoinEnd = r.End
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

// errRoomSoldOut means the room said the event has no seat left: the fan stops there,
// as a hold refused SOLD_OUT would stop it.
var errRoomSoldOut = errors.New("the room is sold out")

// ticketEnd tells what a ticket's status means for its fan: nil to wait on.
func ticketEnd(status string) error {
	switch status {
	case "expired":
		return errTicketEnded
	case "sold_out":
		return errRoomSoldOut
	}
	return nil
}

// maxQueueWait is the longest a polling fan waits between two reads of its ticket
// on its own account: the websocket's own heartbeat (docs/api.md: "at least every
// 2 s"). The ticket's follow_after_ms may ask for longer.
const maxQueueWait = 2 * time.Second

// followWait is how long a fan waits, at now, before it follows (opens the websocket,
// reads the ticket) a ticket it received at got: what is left of the ticket's
// follow_after_ms, nothing with cfg.QueueFollowNow.
func followWait(cfg Config, t api.QueueTicket, got, now time.Time) time.Duration {
	if cfg.QueueFollowNow {
		return 0
	}
	return max(0, got.Add(t.FollowAfter()).Sub(now))
}

// pollWait is how long a polling fan waits before reading again a ticket still
// waiting: its polling interval, up to half the ETA (at most maxQueueWait) far from
// the front, and never sooner than the ticket's follow_after_ms (unless
// cfg.QueueFollowNow).
func pollWait(cfg Config, t api.QueueTicket) time.Duration {
	wait := max(cfg.QueuePoll, min(time.Duration(t.ETASeconds)*time.Second/2, maxQueueWait))
	if !cfg.QueueFollowNow {
		wait = max(wait, t.FollowAfter())
	}
	return wait
}

// readAgain is how long a fan waits before reading again a ticket cur still waiting,
// read in took by a read that could wait long for its change (zero: a plain read): at
// once after a read that waited at least half that; otherwise (a plain read, or a server
// that answered at once, as one that does not wait would) pollWait.
func readAgain(cfg Config, cur api.QueueTicket, long, took time.Duration) time.Duration {
	if long > 0 && took >= long/2 {
		return 0
	}
	// Far from the front, read no more often than the websocket would push, nor
	// sooner than the ticket asks.
	return pollWait(cfg, cur)
}

// awaitPass follows the ticket until it carries a pass: over the websocket when ws
// (reconnecting after a failure, as the server asks when it closes one, up to
// cfg.Retries times in a row without a message, no sooner than the last ticket heard
// asks), else by polling.
func (f *fan) awaitPass(ctx context.Context, cfg Config, t api.QueueTicket, ws bool, rec *QueueFanRecord) (string, error) {
	rec.Following = time.Now()
	if ws {
		rec.Follow = followWS
		last, lastAt := t, rec.Following
		for a := 0; a <= cfg.Retries; a++ {
			var pass string
			var ended error
			heard := false
			err := f.client.FollowQueue(ctx, t.ID, func(t api.QueueTicket) bool {
				// A pushed ticket's sending time is unknown: it proves nothing about order.
				var ok bool
				now := time.Now()
				pass, ok = noteTicket(rec, t, time.Time{}, now)
				ended, heard = ticketEnd(t.Status), true
				last, lastAt = t, now
				return !ok && ended == nil
			})
			switch {
			case pass != "":
				return pass, nil
			case ended != nil:
				return "", ended
			case ctx.Err() != nil:
				return "", ctx.Err()
			}
			rec.WSFailures++
			rec.WSError = err.Error()
			if heard {
				a = 0
			}
			backoff(ctx, f.rng, a, api.Result{})
			sleepCtx(ctx, followWait(cfg, last, lastAt, time.Now()))
		}
	}
	rec.Follow = followPoll
	long := readWait(cfg)
	if long > 0 {
		rec.Follow = followRead
	}
	for {
		var cur api.QueueTicket
		var r api.Result
		if long > 0 {
			cur, r = f.client.AwaitQueue(ctx, t.ID, long)
		} else {
			cur, r = f.client.QueueStatus(ctx, t.ID)
		}
		wait := cfg.QueuePoll
		if r.OK() && r.Err == nil {
			if pass, ok := noteTicket(rec, cur, r.Start, r.End); ok {
				return pass, nil
			}
			if err := ticketEnd(cur.Status); err != nil {
				return "", err
			}
			wait = readAgain(cfg, cur, long, r.End.Sub(r.Start))
		} else if r.Retryable() {
			wait = max(wait, min(r.RetryAfter, maxQueueWait))
		} else {
			// The ticket is gone or not this fan's: waiting longer cannot help.
			return "", fmt.Errorf("read ticket %s: %w", t.ID, r.Error())
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		sleepCtx(ctx, wait)
	}
}

// holdWithPass asks for k best-available seats with the pass, retrying an unknown
// outcome with the same idempotency key. firstAnswer is when the first answer came,
// whatever it said (the last attempt's end when none came). A hold whose last attempt
// was not answered is kept for settleHolds (see there).
func (f *fan) holdWithPass(ctx context.Context, eventID string, req api.HoldRequest, pass string, retries int) (h api.Hold, r api.Result, firstAnswer time.Time) {
	ask := holdAsk{eventID: eventID, req: req, key: f.key("h"), pass: pass}
	h, r, firstAnswer = f.sendHold(ctx, ask, retries+1)
	if firstAnswer.IsZero() {
		firstAnswer = r.End
	}
	if r.Status == 0 && ctx.Err() == nil {
		f.unsettled = append(f.unsettled, ask)
	}
	return h, r, firstAnswer
}

// sendHold sends ask up to attempts times, again with backoff while its outcome is
// unknown or the rate limit refused it. firstAnswer is when the first answer came,
// whatever it said; zero when none came.
func (f *fan) sendHold(ctx context.Context, ask holdAsk, attempts int) (h api.Hold, r api.Result, firstAnswer time.Time) {
	for a := 0; a < attempts; a++ {
		h, r = f.client.HoldWithPass(ctx, ask.eventID, ask.req, ask.key, ask.pass)
		if firstAnswer.IsZero() && r.Status != 0 {
			firstAnswer = r.End
		}
		if !r.Retryable() || ctx.Err() != nil {
			break
		}
		backoff(ctx, f.rng, a, r)
	}
	return h, r, firstAnswer
}

// rushThroughRoom is one fan's part of the sale through the waiting room: join at the
// barrier, follow the ticket to a pass, hold best available with it, then the winner's
// paths.
//
// joined, when not nil, is waited on after the fan's join is answered and marked: the
// fan follows its ticket only once every fan joined (Config.QueueFollowLate), and
// no sooner than the ticket's follow_after_ms from its join's answer.
func (f *fan) rushThroughRoom(ctx context.Context, cfg Config, eventID, sectionID string, ws bool, joined *sync.WaitGroup, t *flashTally, rec *QueueFanRecord) {
	rec.User, rec.EventID = f.user, eventID
	defer func() { rec.Done = time.Now() }()
	tk, r := f.joinQueue(ctx, cfg, eventID, rec)
	if joined != nil {
		joined.Done()
		joined.Wait()
	}
	if !r.OK() || r.Err != nil {
		t.failed.Add(1)
		t.refusal("join " + r.Code)
		return
	}
	rec.TicketID, rec.FollowAfterMS = tk.ID, tk.FollowAfterMS
	pass, ok := noteTicket(rec, tk, r.Start, r.End)
	if ok {
		rec.Follow = followJoin
	} else {
		err := ticketEnd(tk.Status)
		if err == nil {
			// A page follows when the ticket says (Config.QueueFollowNow: at once).
			sleepCtx(ctx, followWait(cfg, tk, r.End, time.Now()))
			pass, err = f.awaitPass(ctx, cfg, tk, ws, rec)
		} else {
			rec.Follow = followJoin
		}
		switch {
		case errors.Is(err, errRoomSoldOut):
			// Told at once, as a fan without the room is told by its hold.
			rec.HoldCode = api.CodeSoldOut
			t.lost.Add(1)
			t.refusal(api.CodeSoldOut)
			return
		case err != nil:
			t.failed.Add(1)
			t.refusal("no pass")
			return
		}
	}
	if cfg.QueueWalkAway > 0 && f.rng.Float64() < cfg.QueueWalkAway {
		rec.WalkedAway = true
		return
	}
	if cfg.QueueThink > 0 {
		sleepCtx(ctx, time.Duration(f.rng.Int64N(int64(cfg.QueueThink))))
	}
	f.rushHold(ctx, cfg, eventID, sectionID, pass, t, rec)
}

// rushHold holds 1–4 (MinSeats..MaxSeats) best-available seats, with pass when the
// room is open, and goes on down the winner's paths.
func (f *fan) rushHold(ctx context.Context, cfg Config, eventID, sectionID, pass string, t *flashTally, rec *QueueFanRecord) {
	k := cfg.MinSeats + f.rng.IntN(cfg.MaxSeats-cfg.MinSeats+1)
	start := time.Now()
	h, r, firstAnswer := f.holdWithPass(ctx, eventID, api.HoldRequest{SectionID: sectionID, Quantity: k}, pass, cfg.Retries)
	rec.HoldStart, rec.HoldEnd, rec.HoldStatus, rec.HoldCode = start, r.End, r.Status, r.Code
	if rec.JoinStart.IsZero() {
		// Without the room the hold is the fan's first request.
		rec.JoinStart, rec.JoinEnd, rec.JoinStatus = start, firstAnswer, r.Status
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
