package http

import (
	"strconv"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
)

// appendHoldBody appends the hold h as encoding/json writes toHoldJSON(h), without
// reflection, for a hold whose strings are plain printable ASCII (plainJSONString) and
// whose times are within the years 0–9999; ok is false for any other hold, which the
// caller then encodes with encoding/json. Every won hold of a rush is answered so.
func appendHoldBody(dst []byte, h *actors.Hold) (_ []byte, ok bool) {
	if !plainJSONString(h.ID) || !plainJSONString(h.EventID) || !plainJSONString(h.SectionID) ||
		!plainJSONString(string(h.Status)) || !plainJSONString(h.UserID) {
		return dst, false
	}
	dst = append(dst, `{"id":"`...)
	dst = append(dst, h.ID...)
	dst = append(dst, `","event_id":"`...)
	dst = append(dst, h.EventID...)
	dst = append(dst, `","section_id":"`...)
	dst = append(dst, h.SectionID...)
	dst = append(dst, `","seats":[`...)
	for i, s := range h.Seats {
		if !plainJSONString(s) {
			return dst, false
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(append(append(dst, '"'), s...), '"')
	}
	dst = append(dst, `],"quantity":`...)
	dst = strconv.AppendInt(dst, int64(h.Quantity), 10)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, h.Status...)
	dst = append(dst, `","expires_at":`...)
	if dst, ok = appendJSONTime(dst, h.ExpiresAt); !ok {
		return dst, false
	}
	dst = append(dst, `,"created_at":`...)
	if dst, ok = appendJSONTime(dst, h.CreatedAt); !ok {
		return dst, false
	}
	dst = append(dst, `,"user_id":"`...)
	dst = append(dst, h.UserID...)
	return append(dst, `"}`...), true
}

// appendJSONTime appends t in UTC as time.Time's MarshalJSON writes it (RFC 3339 with
// the nanoseconds' trailing zeros left out), from a smaller frame than
// time.Time.AppendFormat's; ok is false for a year MarshalJSON refuses.
func appendJSONTime(dst []byte, t time.Time) (_ []byte, ok bool) {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return dst, false
	}
	hour, minute, sec := t.Clock()
	dst = append(dst, '"')
	dst = appendDigits(dst, year, 4)
	dst = appendDigits(append(dst, '-'), int(month), 2)
	dst = appendDigits(append(dst, '-'), day, 2)
	dst = appendDigits(append(dst, 'T'), hour, 2)
	dst = appendDigits(append(dst, ':'), minute, 2)
	dst = appendDigits(append(dst, ':'), sec, 2)
	if ns := t.Nanosecond(); ns != 0 {
		digits := 9
		for ns%10 == 0 {
			ns /= 10
			digits--
		}
		dst = appendDigits(append(dst, '.'), ns, digits)
	}
	return append(dst, `Z"`...), true
}

// appendDigits appends n, which is not negative, in exactly width decimal digits.
func appendDigits(dst []byte, n, width int) []byte {
	var b [9]byte
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, b[:width]...)
}
