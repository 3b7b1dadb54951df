package http

// The body of POST …/holds is the request of a rush: every fan sends one. It is read
// here directly from its bytes when it has the shape clients send; any other body goes
// to decodeJSON, which decides it as it always did (the same values, the same problems).

// decodeHoldBody decodes the body of POST …/holds.
func decodeHoldBody(body []byte) (holdBody, error) {
	var b holdBody
	if scanHoldBody(body, &b) {
		return b, nil
	}
	return decodeHoldBodyJSON(body)
}

// decodeHoldBodyJSON decodes it with encoding/json (its value escapes, so it is not
// the plain path's).
func decodeHoldBodyJSON(body []byte) (holdBody, error) {
	var b holdBody
	err := decodeJSON(body, &b)
	return b, err
}

// scanHoldBody fills b from a body of the plain shape and reports whether it could: one
// object, each of the four keys at most once and spelt exactly so, strings of printable
// ASCII without escapes, a quantity of at most 9 digits without sign, fraction or
// exponent, and true or false. Every such body is one that json.Unmarshal accepts and
// fills the same; on false, b is partly filled and the body must be decoded otherwise.
func scanHoldBody(body []byte, b *holdBody) bool {
	p := plainScanner{s: body}
	return p.object(func(key []byte) (int, bool) {
		var ok bool
		switch string(key) {
		case "section_id":
			var v []byte
			if v, ok = p.str(); ok {
				b.SectionID = string(v)
			}
			return 0, ok
		case "seats":
			b.Seats, ok = p.strs()
			return 1, ok
		case "quantity":
			var n int
			if n, ok = p.count(); ok {
				b.Quantity = &n
			}
			return 2, ok
		case "accessible":
			b.Accessible, ok = p.boolean()
			return 3, ok
		}
		return 0, false
	})
}
