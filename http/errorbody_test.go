package http

import (
	"encoding/json"
	"testing"

	"github.com/ticketblitz/ticketblitz/actors"
)

// The hand-written error body is byte for byte what encoding/json writes, and gives up
// on what it cannot write plainly.
func TestErrorBodyMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name  string
		body  errorJSON
		plain bool
	}{
		{"no details", errorJSON{errorPayloadJSON{actors.CodeSoldOut, "sold out", map[string]any{}}}, true},
		{"seats", errorJSON{errorPayloadJSON{actors.CodeSeatUnavailable, "seats taken", map[string]any{"seats": []string{"A-1", "B-22"}}}}, true},
		{"no seats", errorJSON{errorPayloadJSON{actors.CodeSeatUnavailable, "seats taken", map[string]any{"seats": []string{}}}}, true},
		{"nil seats", errorJSON{errorPayloadJSON{actors.CodeSeatUnavailable, "x", map[string]any{"seats": []string(nil)}}}, true},
		{"sorted keys", errorJSON{errorPayloadJSON{actors.CodeValidation, "invalid", map[string]any{
			"seats": "give seats or quantity", "quantity": "give seats or quantity", "retry_after_seconds": 3, "body": "is required"}}}, true},
		{"nil details", errorJSON{errorPayloadJSON{actors.CodeSoldOut, "sold out", nil}}, false},
		{"quote", errorJSON{errorPayloadJSON{actors.CodeValidation, `say "hi"`, map[string]any{}}}, false},
		{"html", errorJSON{errorPayloadJSON{actors.CodeValidation, "a<b & c>d", map[string]any{}}}, false},
		{"unicode", errorJSON{errorPayloadJSON{actors.CodeValidation, "café", map[string]any{}}}, false},
		{"control", errorJSON{errorPayloadJSON{actors.CodeValidation, "a\nb", map[string]any{}}}, false},
		{"escaped seat", errorJSON{errorPayloadJSON{actors.CodeSeatUnavailable, "x", map[string]any{"seats": []string{`A\1`}}}}, false},
		{"escaped value", errorJSON{errorPayloadJSON{actors.CodeValidation, "x", map[string]any{"f": "tab\t"}}}, false},
		{"escaped key", errorJSON{errorPayloadJSON{actors.CodeValidation, "x", map[string]any{"<f>": "v"}}}, false},
		{"other type", errorJSON{errorPayloadJSON{actors.CodeUnavailable, "x", map[string]any{"checks": map[string]string{"db": "ok"}}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := appendErrorBody(nil, tt.body)
			if ok != tt.plain {
				t.Fatalf("ok = %v, want %v", ok, tt.plain)
			}
			if ok && string(got) != string(want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}
