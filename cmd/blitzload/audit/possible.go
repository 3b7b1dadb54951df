package audit

import "time"

// states is a set of seat statuses a hold may leave its seats in at the end.
type states struct {
	held, sold, available bool
}

// only reports whether s is exactly one status, and which.
func (s states) only() (string, bool) {
	n := 0
	var one string
	if s.held {
		n++
		one = SeatHeld
	}
	if s.sold {
		n++
		one = SeatSold
	}
	if s.available {
		n++
		one = SeatAvailable
	}
	return one, n == 1
}

// finalStates says what the records allow h's seats to show in a map read between
// readStart and readEnd.
func (h *holdModel) finalStates(readStart, readEnd time.Time, opt Options) states {
	if o := h.order; o != nil {
		cancelled := o.cancelOK || o.learnedStatus == OrderCancelled
		return states{sold: !cancelled, available: cancelled || o.cancelUnknown}
	}
	if h.releaseOK {
		return states{available: true}
	}
	var s states
	mayExpire := !h.expires.IsZero() && h.expires.Add(-opt.ClockSkew).Before(readEnd)
	mustBeExpired := !h.expires.IsZero() && !h.extendUnknown &&
		h.expires.Add(opt.ClockSkew+opt.ExpiryGrace).Before(readStart)
	s.held = !h.ended && !mustBeExpired
	s.available = h.ended || h.releaseUnknown || mayExpire
	s.sold = h.confirmUnknown
	return s
}

// definiteInterval is when h certainly occupied its seats: from its answer until the
// first request that may have ended it, its expiry (less the clock skew), or the end
// of the run. soldFrom is when it certainly became an order (zero if never known).
func (h *holdModel) definiteInterval(final time.Time, opt Options) (start, end, soldFrom time.Time) {
	start, end = h.respAt, final
	if o := h.order; o != nil {
		if o.cancelOK || o.cancelUnknown {
			end = earliest(end, o.cancelBy)
		}
		return start, end, o.soldAt
	}
	if !h.endBy.IsZero() {
		end = earliest(end, h.endBy)
	}
	if !h.expires.IsZero() {
		end = earliest(end, h.expires.Add(-opt.ClockSkew))
	}
	return start, end, time.Time{}
}
