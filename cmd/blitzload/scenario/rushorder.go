package scenario

import (
	"sort"
	"time"
)

// PassTTL is how long a waiting-room pass is valid after its ticket's admission
// (docs/api.md: a pass is "valid for 10 minutes from admission"), so that a ticket's
// pass_expires_at minus PassTTL is when the server admitted it, to the second.
const PassTTL = 10 * time.Minute

// QueueFanRecord is what one fan of a rush through the waiting room saw, from its own
// requests and messages.
type QueueFanRecord struct {
	User     string `json:"user"`
	EventID  string `json:"event_id"`
	TicketID string `json:"ticket_id,omitempty"`
	// Position is the ticket's final position; zero if the fan never learned one.
	Position int64 `json:"position,omitempty"`
	// Follow is how the fan followed its ticket: "join" (admitted in the join's
	// answer), "ws" or "poll".
	Follow string `json:"follow,omitempty"`
	// WSFailures counts the websocket connections that ended before a pass; WSError
	// is the last one's error.
	WSFailures int    `json:"ws_failures,omitempty"`
	WSError    string `json:"ws_error,omitempty"`
	// JoinStart is when the join's first attempt was sent, JoinEnd when the first
	// answer came (after retries of attempts that got none): the time to first answer.
	JoinStart time.Time `json:"join_start"`
	JoinEnd   time.Time `json:"join_end"`
	// JoinStatus is the join's final HTTP status (0: no answer).
	JoinStatus int `json:"join_status"`
	// FollowAfterMS is the join answer's follow_after_ms: how long the server asked the
	// fan to wait before following its ticket.
	FollowAfterMS int64 `json:"follow_after_ms,omitempty"`
	// Following is when the fan started following its ticket (its first websocket
	// open or read after the join); zero when the join's answer was its last word.
	Following time.Time `json:"following,omitzero"`
	// LastWaiting is when the last request was sent whose answer showed the ticket
	// waiting with a position (zero: none): the server had not admitted it then.
	LastWaiting time.Time `json:"last_waiting,omitempty"`
	// Admitted is when the fan first held an admitted ticket (zero: never).
	Admitted time.Time `json:"admitted,omitempty"`
	// AdmittedSecond is when the server admitted the ticket, to the second, from its
	// pass_expires_at (zero: never admitted).
	AdmittedSecond time.Time `json:"admitted_second,omitempty"`
	// HoldStart and HoldEnd bound the hold with the pass, retries included.
	HoldStart time.Time `json:"hold_start,omitempty"`
	HoldEnd   time.Time `json:"hold_end,omitempty"`
	// HoldStatus and HoldCode are the hold's final answer; HoldID its hold.
	HoldStatus int    `json:"hold_status,omitempty"`
	HoldCode   string `json:"hold_code,omitempty"`
	HoldID     string `json:"hold_id,omitempty"`
	// WalkedAway is set when the fan walked away with its pass unused
	// (Config.QueueWalkAway).
	WalkedAway bool `json:"walked_away,omitempty"`
	// Done is when the fan finished its part of the sale.
	Done time.Time `json:"done"`
}

// OrderViolation is a fan admitted before another with a smaller position.
type OrderViolation struct {
	// Admitted is the fan let in early; Overtaken one of the fans with a smaller
	// position it was let in before.
	Admitted, Overtaken string
	// Evidence says how the order is known: "server" (the admission seconds of their
	// passes) or "client" (the overtaken fan's request, sent after the other held its
	// pass, found it still waiting).
	Evidence string
}

// OrderViolations finds the fans admitted before a fan with a smaller position. It
// accuses only on proof, from two sources that cannot be fooled by network delays:
// the server's own admission seconds (monotone in position when admission is in
// position order; truncation to the second keeps that), and the causal order of the
// fans' requests (a request sent after another fan held its pass that still found
// this fan waiting). A violation inside one second that no request straddled is not
// seen. With the random order, positions are those after the shuffle, as the fans
// learned them. Each early fan is reported once.
func OrderViolations(recs []QueueFanRecord) []OrderViolation {
	placed := make([]QueueFanRecord, 0, len(recs))
	for _, r := range recs {
		if r.Position > 0 {
			placed = append(placed, r)
		}
	}
	sort.Slice(placed, func(i, j int) bool { return placed[i].Position < placed[j].Position })
	var out []OrderViolation
	var lateSecond, lateWaiting QueueFanRecord // the smaller positions' latest admission second and waiting request
	for _, r := range placed {
		switch {
		case !r.AdmittedSecond.IsZero() && r.AdmittedSecond.Before(lateSecond.AdmittedSecond):
			out = append(out, OrderViolation{Admitted: r.User, Overtaken: lateSecond.User, Evidence: "server"})
		case !r.Admitted.IsZero() && r.Admitted.Before(lateWaiting.LastWaiting):
			out = append(out, OrderViolation{Admitted: r.User, Overtaken: lateWaiting.User, Evidence: "client"})
		}
		if r.AdmittedSecond.After(lateSecond.AdmittedSecond) {
			lateSecond = r
		}
		if r.LastWaiting.After(lateWaiting.LastWaiting) {
			lateWaiting = r
		}
	}
	return out
}
