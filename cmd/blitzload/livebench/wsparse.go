package livebench

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// frameKind is what a subscriber makes of one message.
type frameKind int

const (
	frameOther    frameKind = iota // another section, or a message it does not track
	frameSnapshot                  // the snapshot; version is the section's
	frameSeats                     // a seats delta of the section; held lists its seats turned held
)

// parsed is one message as a subscriber needs it.
type parsed struct {
	kind    frameKind
	version int64
	held    []string
}

// parseMessage reads the type, the tracked section's version and the seats turned held
// from one message of /ws/events, scanning the bytes instead of decoding them all: ten
// thousand subscribers in one process must leave the CPU to the server. It relies on
// the server's field order (type first; section_id, version, changes in that order) and
// falls back to a full decode when the scan does not find what it expects.
func parseMessage(data []byte, sectionID string, held []string) parsed {
	if p, ok := scanMessage(data, sectionID, held); ok {
		return p
	}
	return decodeMessage(data, sectionID, held)
}

var (
	keyType    = []byte(`{"type":"`)
	keySection = []byte(`"section_id":"`)
	keyVersion = []byte(`"version":`)
	keyID      = []byte(`{"id":"`)
	heldTail   = []byte(`","status":"held"}`)
)

func scanMessage(data []byte, sectionID string, held []string) (parsed, bool) {
	if !bytes.HasPrefix(data, keyType) {
		return parsed{}, false
	}
	rest := data[len(keyType):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return parsed{}, false
	}
	typ := rest[:end]
	rest = rest[end:]
	switch string(typ) {
	case "snapshot":
		// Sections follow one another; find the tracked one's section_id, then its version.
		want := append(append(append([]byte(nil), keySection...), sectionID...), '"')
		i := bytes.Index(rest, want)
		if i < 0 {
			return parsed{}, false
		}
		v, _, ok := scanVersion(rest[i+len(want):])
		if !ok {
			return parsed{}, false
		}
		return parsed{kind: frameSnapshot, version: v}, true
	case "seats":
	default:
		return parsed{kind: frameOther}, true
	}
	i := bytes.Index(rest, keySection)
	if i < 0 {
		return parsed{}, false
	}
	rest = rest[i+len(keySection):]
	if !bytes.HasPrefix(rest, []byte(sectionID)) || len(rest) <= len(sectionID) || rest[len(sectionID)] != '"' {
		return parsed{kind: frameOther}, true
	}
	v, rest, ok := scanVersion(rest[len(sectionID):])
	if !ok {
		return parsed{}, false
	}
	held = held[:0]
	for {
		i := bytes.Index(rest, keyID)
		if i < 0 {
			break
		}
		rest = rest[i+len(keyID):]
		q := bytes.IndexByte(rest, '"')
		if q < 0 {
			return parsed{}, false
		}
		if bytes.HasPrefix(rest[q:], heldTail) {
			held = append(held, string(rest[:q]))
		}
		rest = rest[q:]
	}
	return parsed{kind: frameSeats, version: v, held: held}, true
}

// scanVersion reads the number after the next "version": key.
func scanVersion(b []byte) (int64, []byte, bool) {
	i := bytes.Index(b, keyVersion)
	if i < 0 {
		return 0, nil, false
	}
	b = b[i+len(keyVersion):]
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	v, err := strconv.ParseInt(string(b[:n]), 10, 64)
	if err != nil {
		return 0, nil, false
	}
	return v, b[n:], true
}

// decodeMessage is the full decode, for messages the scan does not understand.
func decodeMessage(data []byte, sectionID string, held []string) parsed {
	var m api.WSMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return parsed{kind: frameOther}
	}
	switch {
	case m.Type == "snapshot":
		for _, sec := range m.Sections {
			if sec.SectionID == sectionID {
				return parsed{kind: frameSnapshot, version: sec.Version}
			}
		}
	case m.Type == "seats" && m.SectionID == sectionID:
		held = held[:0]
		for _, c := range m.Changes {
			if c.Status == "held" {
				held = append(held, c.ID)
			}
		}
		return parsed{kind: frameSeats, version: m.Version, held: held}
	}
	return parsed{kind: frameOther}
}
