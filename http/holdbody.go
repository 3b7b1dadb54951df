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
	p := holdScanner{s: body}
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

// holdScanner reads a body from the front.
type holdScanner struct {
	s []byte
	i int
}

// space skips JSON white space.
func (p *holdScanner) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// take consumes c when it is next.
func (p *holdScanner) take(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (p *holdScanner) end() bool {
	p.space()
	return p.i == len(p.s)
}

// str reads a string of printable ASCII without escapes and returns its contents
// (aliasing the body).
func (p *holdScanner) str() ([]byte, bool) {
	if !p.take('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return p.s[start : p.i-1], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// strs reads a list of such strings; an empty list is an empty, not nil, slice.
func (p *holdScanner) strs() ([]string, bool) {
	if !p.take('[') {
		return nil, false
	}
	out := make([]string, 0, 4)
	p.space()
	if p.take(']') {
		return out, true
	}
	for {
		p.space()
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, string(v))
		p.space()
		switch {
		case p.take(','):
		case p.take(']'):
			return out, true
		default:
			return nil, false
		}
	}
}

// count reads a JSON integer of 1 to 9 digits without sign, so that it fits any int.
func (p *holdScanner) count() (int, bool) {
	start, n := p.i, 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		n = n*10 + int(p.s[p.i]-'0')
		p.i++
	}
	digits := p.i - start
	if digits == 0 || digits > 9 || digits > 1 && p.s[start] == '0' {
		return 0, false
	}
	if p.i < len(p.s) {
		switch p.s[p.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}

// boolean reads true or false.
func (p *holdScanner) boolean() (bool, bool) {
	rest := p.s[p.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		p.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		p.i += 5
		return false, true
	}
	return false, false
}
