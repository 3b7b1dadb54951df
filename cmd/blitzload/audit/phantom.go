package audit

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// unansweredHold reports whether r is a hold request answered 503 or not answered at all:
// either way the fan was not given a hold, and must not have one from it.
func unansweredHold(r Record) bool {
	return r.Op == OpHold && (r.Status == http.StatusServiceUnavailable || r.Status == 0)
}

// checkPhantomHolds applies the phantom-hold rule: a fan answered 503 (or nothing) for a
// hold has no hold from that request. Every hold a fan's GET /api/v1/me/holds lists at
// the end must have been answered (201) to some request of the records; one that was
// not, in a section where the fan's hold requests were answered 503 or not at all, came
// from one of them. The final seat map tells whether its seats are still held.
func checkPhantomHolds(m *model, in Input, vs *violations) {
	type userRef struct {
		user string
		ref  SectionRef
	}
	type silence struct{ unavailable, unanswered int }
	silent := map[userRef]*silence{}
	for _, r := range in.Records {
		if !unansweredHold(r) {
			continue
		}
		k := userRef{r.User, SectionRef{r.EventID, r.SectionID}}
		if silent[k] == nil {
			silent[k] = &silence{}
		}
		if r.Status == 0 {
			silent[k].unanswered++
		} else {
			silent[k].unavailable++
		}
	}
	users := make([]string, 0, len(in.Final.UserHolds))
	for u := range in.Final.UserHolds {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, user := range users {
		for _, h := range in.Final.UserHolds[user] {
			if _, answered := m.holds[h.ID]; answered {
				continue
			}
			ref := SectionRef{h.EventID, h.SectionID}
			s := silent[userRef{user, ref}]
			if s == nil {
				continue // not from a request of the records
			}
			detail := fmt.Sprintf("user %s holds %s (%s) that no request was answered with; the user's hold requests there were answered 503 %d times and not at all %d times",
				user, h.ID, holdWhat(h), s.unavailable, s.unanswered)
			if held := heldSeats(in.Final.SeatMaps[ref], h.Seats); len(held) > 0 {
				detail += "; the final map shows " + strings.Join(held, ", ") + " held"
			}
			vs.add(Violation{Kind: PhantomHold, Section: ref, Holds: []string{h.ID}, Detail: detail})
		}
	}
}

// holdWhat describes what a hold takes: its seats, or its quantity.
func holdWhat(h Hold) string {
	if len(h.Seats) > 0 {
		return "seats " + strings.Join(h.Seats, ", ")
	}
	return fmt.Sprintf("%d places", h.Quantity)
}

// heldSeats returns those of seats the map shows held.
func heldSeats(sm SeatMap, seats []string) []string {
	var out []string
	for _, s := range seats {
		if sm.Seats[s] == SeatHeld {
			out = append(out, s)
		}
	}
	return out
}
