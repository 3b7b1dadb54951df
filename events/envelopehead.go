package events

import (
	"bytes"
	"encoding/json"
	"errors"
)

// envelopeHead returns the "id" and "type" of the JSON envelope raw, as json.Unmarshal
// into an actors.Envelope would set them, without decoding the rest: the notifications
// consumer needs only those two of every record it reads, and decoding the whole
// envelope by reflection (its time, its data copied) was most of what reading a record
// cost it. raw must be valid JSON (checked first), an object whose "id" and "type" are
// strings or null when present.
func envelopeHead(raw []byte) (id, typ string, err error) {
	if !json.Valid(raw) {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return "", "", err
		}
		return "", "", errors.New("envelope is not valid JSON")
	}
	i := skipSpace(raw, 0)
	if raw[i] == 'n' { // null leaves an envelope as it was
		return "", "", nil
	}
	if raw[i] != '{' {
		return "", "", errors.New("envelope is not a JSON object")
	}
	i = skipSpace(raw, i+1)
	for raw[i] != '}' {
		var key []byte
		key, i = quoted(raw, i)
		i = skipSpace(raw, skipSpace(raw, i)+1) // past the colon
		var field *string
		switch {
		case keyIs(key, "id"):
			field = &id
		case keyIs(key, "type"):
			field = &typ
		}
		if field == nil || raw[i] == 'n' { // null leaves a field as it was
			i = skipValue(raw, i)
		} else {
			var s string
			if s, i, err = stringValue(raw, i); err != nil {
				return "", "", err
			}
			*field = s
		}
		if i = skipSpace(raw, i); raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return id, typ, nil
}

// keyIs reports whether the quoted key names field the way encoding/json matches a
// struct field's name: exactly, or else without regard to case.
func keyIs(key []byte, field string) bool {
	name := key[1 : len(key)-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		var s string
		if json.Unmarshal(key, &s) != nil {
			return false
		}
		name = []byte(s)
	}
	return bytes.EqualFold(name, []byte(field))
}

// stringValue reads the string starting at i.
func stringValue(raw []byte, i int) (string, int, error) {
	if raw[i] != '"' {
		return "", i, errors.New("envelope id or type is not a string")
	}
	q, next := quoted(raw, i)
	if bytes.IndexByte(q, '\\') < 0 {
		return string(q[1 : len(q)-1]), next, nil
	}
	var s string
	err := json.Unmarshal(q, &s)
	return s, next, err
}

// quoted returns the string starting at raw[i] (a quote) with its quotes, and the index
// past it.
func quoted(raw []byte, i int) ([]byte, int) {
	j := i + 1
	for raw[j] != '"' {
		if raw[j] == '\\' {
			j++
		}
		j++
	}
	return raw[i : j+1], j + 1
}

// skipValue returns the index past the JSON value starting at raw[i].
func skipValue(raw []byte, i int) int {
	switch raw[i] {
	case '"':
		_, next := quoted(raw, i)
		return next
	case '{', '[':
		depth := 0
		for {
			switch raw[i] {
			case '"':
				_, i = quoted(raw, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(raw) && raw[i] != ',' && raw[i] != '}' && raw[i] != ']' && !isSpace(raw[i]) {
		i++
	}
	return i
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
