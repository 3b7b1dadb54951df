package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
)

// decodeWithDecoder is decodeJSON as it was before its json.Unmarshal fast path: the
// fast path must accept, reject and fill exactly as this does.
func decodeWithDecoder(body []byte, dst any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return decodeJSON(body, dst)
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("must hold a single JSON object")
	}
	return nil
}

func FuzzDecodeJSONMatchesDecoder(f *testing.F) {
	for _, seed := range []string{
		`{"section_id":"A","seats":["A-3","A-4"]}`, `{"section_id":"A","quantity":4}  `,
		`{"section_id":"A","quantity":1} x`, `{"section_id":"A","quantity":1}{}`,
		`{"section_id":"A","quantity":"1"}`, `{"section_id":1,"quantity":1}`,
		`{"section_id":"A","quantity":1.5}`, `{"seats":[null,"A-1"]}`, `{"seats":{}}`,
		`{"section_id":"A","section_id":"B","quantity":2}`, "{\"section_id\":\"\xff\"}",
		`{"section_id":"A"`, `{}` + "\n\t ", `{"x":[1,2,{"y":null}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got, want holdBody
		gotErr, wantErr := decodeJSON(body, &got), decodeWithDecoder(body, &want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: fast path error %v, decoder error %v", body, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: fast path %+v, decoder %+v", body, got, want)
		}
	})
}
