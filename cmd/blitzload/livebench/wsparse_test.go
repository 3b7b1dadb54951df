package livebench

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseMessageMatchesTheFullDecode(t *testing.T) {
	msgs := []string{
		`{"type":"snapshot","event_id":"e","sections":[{"section_id":"other","kind":"reserved","version":3,"seats":[]},{"section_id":"live","kind":"reserved","version":42,"seats":[{"id":"A-1","status":"held"}]}]}`,
		`{"type":"seats","event_id":"e","section_id":"live","version":43,"changes":[{"id":"A-1","status":"available"},{"id":"A-2","status":"held"},{"id":"B-10","status":"held"}]}`,
		`{"type":"seats","event_id":"e","section_id":"live","version":44,"changes":[]}`,
		`{"type":"seats","event_id":"e","section_id":"lively","version":9,"changes":[{"id":"A-1","status":"held"}]}`,
		`{"type":"capacity","event_id":"e","section_id":"floor","version":5,"available":1,"held":2,"sold":3}`,
		// Another field order: only the full decode reads it.
		`{"version":45,"type":"seats","section_id":"live","changes":[{"status":"held","id":"C-1"}]}`,
	}
	for _, m := range msgs {
		got := parseMessage([]byte(m), "live", nil)
		want := decodeMessage([]byte(m), "live", nil)
		if len(got.held) == 0 {
			got.held = nil
		}
		if len(want.held) == 0 {
			want.held = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n scan %+v\n full %+v", m, got, want)
		}
	}
	if !json.Valid([]byte(msgs[0])) {
		t.Fatal("test message is not JSON")
	}
}
