package http

// plainScanner reads JSON of the plain shape from the front: printable ASCII strings
// without escapes, small unsigned integers, true and false. Whatever else it meets, it
// refuses, and its caller hands the body to encoding/json.
type plainScanner struct {
	s []byte
	i int
}

// object reads one object, then only white space. For each key, value reads its value
// and says which field (0 to 63) it filled; a key it does not know, a value it cannot
// read, or a field filled twice ends the object as unread.
func (p *plainScanner) object(value func(key []byte) (field int, ok bool)) bool {
	p.space()
	if !p.take('{') {
		return false
	}
	var seen uint64
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
		field, ok := value(key)
		if !ok || seen&(1<<field) != 0 {
			return false
		}
		seen |= 1 << field
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

// space skips JSON white space.
func (p *plainScanner) space() {
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
func (p *plainScanner) take(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (p *plainScanner) end() bool {
	p.space()
	return p.i == len(p.s)
}

// str reads a string of printable ASCII without escapes and returns its contents
// (aliasing the body).
func (p *plainScanner) str() ([]byte, bool) {
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
func (p *plainScanner) strs() ([]string, bool) {
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
func (p *plainScanner) count() (int, bool) {
	n, ok := p.unsigned(9)
	return int(n), ok
}

// unsigned reads a JSON integer of 1 to maxDigits (at most 15) digits without sign, nor
// fraction or exponent: one a float64 holds exactly, too.
func (p *plainScanner) unsigned(maxDigits int) (int64, bool) {
	start := p.i
	var n int64
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		n = n*10 + int64(p.s[p.i]-'0')
		p.i++
	}
	digits := p.i - start
	if digits == 0 || digits > min(maxDigits, 15) || digits > 1 && p.s[start] == '0' {
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
func (p *plainScanner) boolean() (bool, bool) {
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
