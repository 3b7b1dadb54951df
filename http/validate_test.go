package http

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
)

// eventWith returns the valid event body with one top-level change applied.
func eventWith(t *testing.T, change func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(validEventBody), &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func section(m map[string]any, i int) map[string]any {
	return m["sections"].([]any)[i].(map[string]any)
}

func TestCreateEventValidation(t *testing.T) {
	e := newEnv(t)
	admin := bearer(t, "root", RoleAdmin)
	tests := []struct {
		name   string
		change func(m map[string]any)
		fields []string
	}{
		{"no name", func(m map[string]any) { delete(m, "name") }, []string{"name"}},
		{"blank name", func(m map[string]any) { m["name"] = "   " }, []string{"name"}},
		{"control char in venue", func(m map[string]any) { m["venue"] = "Are\x00na" }, []string{"venue"}},
		{"long venue", func(m map[string]any) { m["venue"] = strings.Repeat("v", 201) }, []string{"venue"}},
		{"bad starts_at", func(m map[string]any) { m["starts_at"] = "2026-12-31 20:00" }, []string{"starts_at"}},
		{"no starts_at", func(m map[string]any) { delete(m, "starts_at") }, []string{"starts_at"}},
		{"lower currency", func(m map[string]any) { m["currency"] = "usd" }, []string{"currency"}},
		{"long currency", func(m map[string]any) { m["currency"] = "USDX" }, []string{"currency"}},
		{"max 0", func(m map[string]any) { m["max_tickets_per_user"] = 0 }, []string{"max_tickets_per_user"}},
		{"max 101", func(m map[string]any) { m["max_tickets_per_user"] = 101 }, []string{"max_tickets_per_user"}},
		{"no sections", func(m map[string]any) { delete(m, "sections") }, []string{"sections"}},
		{"empty sections", func(m map[string]any) { m["sections"] = []any{} }, []string{"sections"}},
		{"51 sections", func(m map[string]any) {
			var secs []any
			for i := 0; i < 51; i++ {
				secs = append(secs, map[string]any{"id": "s" + strings.Repeat("x", i%30) + string(rune('a'+i%26)), "kind": "general_admission", "price_cents": 1, "capacity": 1})
			}
			m["sections"] = secs
		}, []string{"sections"}},
		{"bad section id", func(m map[string]any) { section(m, 0)["id"] = "A/B" }, []string{"sections[0].id"}},
		{"long section id", func(m map[string]any) { section(m, 0)["id"] = strings.Repeat("a", 33) }, []string{"sections[0].id"}},
		{"duplicate section id", func(m map[string]any) { section(m, 1)["id"] = "A" }, []string{"sections[1].id"}},
		{"bad kind", func(m map[string]any) { section(m, 0)["kind"] = "vip" }, []string{"sections[0].kind"}},
		{"negative price", func(m map[string]any) { section(m, 1)["price_cents"] = -1 }, []string{"sections[1].price_cents"}},
		{"no price", func(m map[string]any) { delete(section(m, 1), "price_cents") }, []string{"sections[1].price_cents"}},
		{"reserved without rows", func(m map[string]any) { delete(section(m, 0), "rows"); delete(section(m, 0), "accessible") }, []string{"sections[0].rows"}},
		{"201 rows", func(m map[string]any) {
			var rows []any
			for i := 0; i < 201; i++ {
				rows = append(rows, map[string]any{"label": string(rune('A'+i%26)) + string(rune('A'+i/26)), "seats": 1})
			}
			section(m, 0)["rows"] = rows
			delete(section(m, 0), "accessible")
		}, []string{"sections[0].rows"}},
		{"bad row label", func(m map[string]any) { section(m, 0)["rows"].([]any)[1].(map[string]any)["label"] = "b" }, []string{"sections[0].rows[1].label", "sections[0].accessible[1]"}},
		{"long row label", func(m map[string]any) { section(m, 0)["rows"].([]any)[0].(map[string]any)["label"] = "ABCD" }, []string{"sections[0].rows[0].label", "sections[0].accessible[0]"}},
		{"duplicate row label", func(m map[string]any) { section(m, 0)["rows"].([]any)[1].(map[string]any)["label"] = "A" }, []string{"sections[0].rows[1].label", "sections[0].accessible[1]"}},
		{"row of 0 seats", func(m map[string]any) { section(m, 0)["rows"].([]any)[0].(map[string]any)["seats"] = 0 }, []string{"sections[0].rows[0].seats", "sections[0].accessible[0]"}},
		{"row of 501 seats", func(m map[string]any) { section(m, 0)["rows"].([]any)[0].(map[string]any)["seats"] = 501 }, []string{"sections[0].rows[0].seats"}},
		{"missing accessible seat", func(m map[string]any) { section(m, 0)["accessible"] = []any{"A-21"} }, []string{"sections[0].accessible[0]"}},
		{"accessible in unknown row", func(m map[string]any) { section(m, 0)["accessible"] = []any{"A-1", "C-1"} }, []string{"sections[0].accessible[1]"}},
		{"duplicate accessible", func(m map[string]any) { section(m, 0)["accessible"] = []any{"A-1", "A-1"} }, []string{"sections[0].accessible[1]"}},
		{"reserved capacity mismatch", func(m map[string]any) { section(m, 0)["capacity"] = 41 }, []string{"sections[0].capacity"}},
		{"ga without capacity", func(m map[string]any) { delete(section(m, 1), "capacity") }, []string{"sections[1].capacity"}},
		{"ga capacity 0", func(m map[string]any) { section(m, 1)["capacity"] = 0 }, []string{"sections[1].capacity"}},
		{"ga capacity too big", func(m map[string]any) { section(m, 1)["capacity"] = 100001 }, []string{"sections[1].capacity"}},
		{"ga with rows", func(m map[string]any) { section(m, 1)["rows"] = []any{map[string]any{"label": "A", "seats": 1}} }, []string{"sections[1].rows"}},
		{"ga with accessible", func(m map[string]any) { section(m, 1)["accessible"] = []any{"A-1"} }, []string{"sections[1].accessible"}},
		{"wrong type", func(m map[string]any) { section(m, 1)["capacity"] = "500" }, []string{"sections.capacity"}},
		{"several at once", func(m map[string]any) { m["name"] = ""; m["currency"] = "x"; section(m, 1)["kind"] = "x" }, []string{"currency", "name", "sections[1].kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/events", eventWith(t, tt.change), admin)
			d := r.expectError(t, 400, "VALIDATION_FAILED")
			got := keys(d)
			want := append([]string(nil), tt.fields...)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("fields = %v, want %v (%s)", got, want, r.raw)
			}
			for k, v := range d {
				if s, ok := v.(string); !ok || s == "" {
					t.Errorf("details[%s] = %v, want a problem description", k, v)
				}
			}
		})
	}
	if len(e.cat.created) != 0 {
		t.Errorf("invalid events reached the catalog: %d", len(e.cat.created))
	}

	// Boundaries that are allowed.
	ok := eventWith(t, func(m map[string]any) {
		m["max_tickets_per_user"] = 100
		section(m, 0)["capacity"] = 42
		section(m, 0)["rows"].([]any)[0].(map[string]any)["label"] = "ZZZ"
		section(m, 0)["accessible"] = []any{"ZZZ-20"}
		section(m, 1)["price_cents"] = 0
		section(m, 1)["capacity"] = 100000
		delete(section(m, 1), "name")
	})
	e.do(t, "POST", "/api/v1/events", ok, admin).expectStatus(t, 201)
	got := e.cat.created[0]
	if got.MaxTicketsPerUser != 100 || got.Sections[1].Name != "floor" || got.Sections[1].Capacity != 100000 {
		t.Errorf("created = %+v", got)
	}
}

func TestHoldValidation(t *testing.T) {
	e := newEnv(t)
	seats := func(n int) string {
		var s []string
		for i := 1; i <= n; i++ {
			s = append(s, `"A-`+itoa(i)+`"`)
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	tests := []struct {
		body   string
		fields []string
	}{
		{`{"quantity":2}`, []string{"section_id"}},
		{`{"section_id":"a/b","quantity":2}`, []string{"section_id"}},
		{`{"section_id":"A"}`, []string{"quantity", "seats"}},
		{`{"section_id":"A","seats":null,"quantity":null}`, []string{"quantity", "seats"}},
		{`{"section_id":"A","seats":["A-1"],"quantity":1}`, []string{"quantity", "seats"}},
		{`{"section_id":"A","seats":[]}`, []string{"seats"}},
		{`{"section_id":"A","seats":` + seats(21) + `}`, []string{"seats"}},
		{`{"section_id":"A","seats":["A-1","A-1"]}`, []string{"seats[1]"}},
		{`{"section_id":"A","seats":["A-0"]}`, []string{"seats[0]"}},
		{`{"section_id":"A","seats":["A-01"]}`, []string{"seats[0]"}},
		{`{"section_id":"A","seats":["A1"]}`, []string{"seats[0]"}},
		{`{"section_id":"A","seats":["A_1","A-2",""]}`, []string{"seats[0]", "seats[2]"}},
		{`{"section_id":"A","seats":["ABCDEFGHI-1"]}`, []string{"seats[0]"}},
		{`{"section_id":"A","seats":["A-100000"]}`, []string{"seats[0]"}},
		{`{"section_id":"A","seats":["A-1"],"accessible":true}`, []string{"accessible"}},
		{`{"section_id":"A","quantity":0}`, []string{"quantity"}},
		{`{"section_id":"A","quantity":21}`, []string{"quantity"}},
		{`{"section_id":"A","quantity":-1}`, []string{"quantity"}},
		{`{"section_id":"A","quantity":2,"accessible":"yes"}`, []string{"accessible"}},
	}
	for _, tt := range tests {
		r := e.do(t, "POST", "/api/v1/events/e1/holds", tt.body, bearer(t, "alice", ""))
		d := r.expectError(t, 400, "VALIDATION_FAILED")
		if got := keys(d); !reflect.DeepEqual(got, tt.fields) {
			t.Errorf("%s: fields = %v, want %v", tt.body, got, tt.fields)
		}
	}
	if len(e.res.holds) != 0 {
		t.Errorf("invalid holds reached reservations: %d", len(e.res.holds))
	}
	for _, body := range []string{
		`{"section_id":"A","seats":` + seats(20) + `}`,
		`{"section_id":"A","quantity":20}`,
		`{"section_id":"A","quantity":1,"accessible":false,"future_field":1}`,
		`{"section_id":"A","seats":["ZZZ-500"],"accessible":false}`,
		`{"section_id":"A","seats":["aa1-99999","R12-3"]}`,
	} {
		e.do(t, "POST", "/api/v1/events/e1/holds", body, bearer(t, "alice", "")).expectStatus(t, 201)
	}
}

func TestConfirmValidation(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{`{}`, `{"payment_token":""}`, `{"payment_token":"tok\u00e9"}`, `{"payment_token":"` + strings.Repeat("t", 257) + `"}`, `{"payment_token":1}`} {
		d := e.do(t, "POST", "/api/v1/holds/h_1/confirm", body, bearer(t, "alice", "")).expectError(t, 400, "VALIDATION_FAILED")
		if d["payment_token"] == nil {
			t.Errorf("%s: details %v", body, d)
		}
	}
	if len(e.res.confirms) != 0 {
		t.Error("invalid confirms reached reservations")
	}
}

func TestIdempotencyKeyRules(t *testing.T) {
	good := []string{"", "a", strings.Repeat("k", 128), "550e8400-e29b-41d4-a716-446655440000", "with space"}
	for _, k := range good {
		if _, err := idempotencyKey(k); err != nil {
			t.Errorf("%q rejected: %v", k, err)
		}
	}
	for _, k := range []string{strings.Repeat("k", 129), "tab\there", "caf\u00e9"} {
		_, err := idempotencyKey(k)
		if e, ok := actors.AsError(err); !ok || e.Code != actors.CodeValidation || e.Fields["Idempotency-Key"] == "" {
			t.Errorf("%q: err = %v", k, err)
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
