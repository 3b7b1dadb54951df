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
	p.space()
	if !p.take('{') {
		return false
	}
	var seen [4]bool
	p.space()
	if p.take('}') {
		return p.end()
	}
	for {
		p.space()
		key, ok := p.str()
		if !ok {
			return false
		}
		p.space()
		if !p.take(':') {
			return false
		}
		p.space()
		var field int
		switch string(key) {
		case "section_id":
			field = 0
			v, ok := p.str()
			if !ok {
				return false
			}
			b.SectionID = string(v)
		case "seats":
			field = 1
			if b.Seats, ok = p.strs(); !ok {
				return false
			}
		case "quantity":
			field = 2
			n, ok := p.count()
			if !ok {
				return false
			}
			b.Quantity = &n
		case "accessible":
			field = 3
			if b.Accessible, ok = p.boolean(); !ok {
				return false
			}
		default:
			return false
		}
		if seen[field] {
			return false
		}
		seen[field] = true
		p.space()
		switch {
		case p.take(','):
		case p.take('}'):
			return p.end()
		default:
			return false
		}
	}
}
