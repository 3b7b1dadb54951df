package http

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
)

// seatHistoryLimit is the most attempts a seat's history shows: the latest ones.
const seatHistoryLimit = 200

// The user of an attempt as a fan sees it.
const (
	historyYou        = "you"
	historyAnotherFan = "another fan"
)

type seatHistoryJSON struct {
	SeatID   string            `json:"seat_id"`
	Attempts []seatAttemptJSON `json:"attempts"`
}

type seatAttemptJSON struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	User    string    `json:"user"`
	Action  string    `json:"action"`
	Outcome string    `json:"outcome"`
	Code    *string   `json:"code"`
	Reason  string    `json:"reason"`
	Version int64     `json:"version"`
}

// seatHistory answers GET /api/v1/events/{event_id}/sections/{section_id}/seats/{seat_id}/history:
// every attempt that touched the seat, in decision order, with a reason a fan understands.
func (s *Server) seatHistory(c *fiber.Ctx) error {
	p := principalOf(c)
	eventID, err := pathID(c.Params("event_id"), actors.ValidLookupID, "event")
	if err != nil {
		return err
	}
	sectionID, err := pathID(c.Params("section_id"), actors.ValidSectionID, "section")
	if err != nil {
		return err
	}
	seatID, err := pathID(c.Params("seat_id"), validSeatID, "seat")
	if err != nil {
		return err
	}
	if s.cfg.Attempts == nil {
		return &actors.Error{Code: actors.CodeNotRecorded, Message: "this server keeps no attempt log (its strategy is not actor, or the log is off)"}
	}
	key := actors.SectionKey{EventID: eventID, SectionID: sectionID}
	attempts, causes, err := s.cfg.Attempts.SeatHistory(c.UserContext(), key, seatID, seatHistoryLimit)
	if err != nil {
		return fmt.Errorf("history of seat %s of %s: %w", seatID, key.Identity(), err)
	}
	out := seatHistoryJSON{SeatID: seatID, Attempts: make([]seatAttemptJSON, 0, len(attempts))}
	for _, a := range attempts {
		j := seatAttemptJSON{Seq: a.Seq, At: a.At, User: userLabel(p, a.UserID), Action: a.Action, Outcome: "granted",
			Reason: attemptReason(a, causes, a.UserID == p.UserID), Version: a.Version}
		if !a.Granted() {
			code := string(a.Code)
			j.Outcome, j.Code = "refused", &code
		}
		out.Attempts = append(out.Attempts, j)
	}
	return c.JSON(out)
}

func validSeatID(id string) bool {
	_, _, err := actors.ParseSeatID(id)
	return err == nil
}

// userLabel is how p sees user: an admin sees the id, a fan "you" or "another fan".
func userLabel(p principal, user string) string {
	switch {
	case p.Admin:
		return user
	case user == p.UserID:
		return historyYou
	default:
		return historyAnotherFan
	}
}

// attemptReason says in a fan's words what an attempt did, or why it was refused; mine
// says whether the reader made the attempt.
func attemptReason(a actors.Attempt, causes map[int64]actors.Attempt, mine bool) string {
	if a.Granted() {
		switch a.Action {
		case actors.ActionHold:
			return "held"
		case actors.ActionRelease:
			return "released: the seat was free again"
		case actors.ActionExtend:
			return "hold extended"
		case actors.ActionConfirm:
			return "paid for: the seat was sold"
		case actors.ActionCancel:
			return "order cancelled: the seat was free again"
		case actors.ActionExpire:
			return "the hold expired: the seat was free again"
		}
		return "granted"
	}
	why := refusalText(a.Code)
	cause, ok := causes[a.CauseSeq]
	if !ok {
		if a.CauseSeq > 0 {
			return fmt.Sprintf("%s (because of #%d, no longer in the log)", why, a.CauseSeq)
		}
		return why
	}
	gap := humanGap(a.At.Sub(cause.At))
	this := "this one"
	if mine {
		this = "yours"
	}
	switch {
	case cause.Action == actors.ActionExpire:
		return fmt.Sprintf("the hold had expired, #%d, %s before this request", cause.Seq, gap)
	case cause.Action == actors.ActionConfirm:
		return fmt.Sprintf("sold to an earlier request, #%d, %s before %s", cause.Seq, gap, this)
	case cause.Action == actors.ActionHold && a.Code == actors.CodeSeatUnavailable:
		return fmt.Sprintf("held by an earlier request, #%d, %s before %s", cause.Seq, gap, this)
	}
	return fmt.Sprintf("%s, because of #%d, %s before this request", why, cause.Seq, gap)
}

// refusalText is a refusal's reason when nothing in the log caused it.
func refusalText(code actors.Code) string {
	switch code {
	case actors.CodeSeatUnavailable:
		return "the seat was already taken"
	case actors.CodeSoldOut:
		return "sold out"
	case actors.CodeLimitExceeded:
		return "over the per-fan ticket limit"
	case actors.CodeHoldExpired:
		return "the hold had expired"
	case actors.CodeHoldNotActive:
		return "the hold was no longer active"
	case actors.CodePaymentDeclined:
		return "the payment was declined"
	case actors.CodeForbidden:
		return "not this fan's hold or order"
	case actors.CodeIdempotencyConflict:
		return "the same idempotency key came with another request"
	case actors.CodeValidation:
		return "the request was invalid"
	}
	return "refused: " + strings.ToLower(strings.ReplaceAll(string(code), "_", " "))
}

// humanGap renders a time between two decisions: "3 ms", "1.2 s", "4 min".
func humanGap(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + " µs"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	case d < time.Hour:
		return strconv.FormatInt(int64(d.Minutes()), 10) + " min"
	}
	return strconv.FormatFloat(d.Hours(), 'f', 1, 64) + " h"
}
