package http

import (
	"slices"
	"strconv"
)

// appendErrorBody appends body as encoding/json would write it, for the bodies most
// refusals have (details of strings, string lists and whole numbers, every string
// plain printable ASCII that JSON writes as it is), without reflection or sorting a map
// through it. ok is false for any other body: the caller then encodes it with
// encoding/json.
func appendErrorBody(dst []byte, body errorJSON) (_ []byte, ok bool) {
	e := body.Error
	if e.Details == nil || !plainJSONString(string(e.Code)) || !plainJSONString(e.Message) {
		return dst, false
	}
	var room [8]string // the details of most refusals: no allocation for their keys
	keys := room[:0]
	for k := range e.Details {
		if !plainJSONString(k) {
			return dst, false
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, `{"error":{"code":"`...)
	dst = append(dst, e.Code...)
	dst = append(dst, `","message":"`...)
	dst = append(dst, e.Message...)
	dst = append(dst, `","details":{`...)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, `":`...)
		switch v := e.Details[k].(type) {
		case string:
			if !plainJSONString(v) {
				return dst, false
			}
			dst = append(append(append(dst, '"'), v...), '"')
		case int:
			dst = strconv.AppendInt(dst, int64(v), 10)
		case []string:
			if v == nil {
				dst = append(dst, "null"...)
				break
			}
			dst = append(dst, '[')
			for j, s := range v {
				if !plainJSONString(s) {
					return dst, false
				}
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = append(append(append(dst, '"'), s...), '"')
			}
			dst = append(dst, ']')
		default:
			return dst, false
		}
	}
	return append(dst, "}}}"...), true
}

// plainJSONString reports whether encoding/json writes s between quotes unchanged:
// printable ASCII without the quote, the backslash and the HTML-escaped <, > and &.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x20 || b > 0x7e || b == '"' || b == '\\' || b == '<' || b == '>' || b == '&' {
			return false
		}
	}
	return true
}
