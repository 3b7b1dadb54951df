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

// holdBodySeeds are bodies of POST …/holds: the shapes clients send, and their near
// misses (escapes, case-folded or repeated keys, nulls, numbers that are not counts).
var holdBodySeeds = []string{
	`{"section_id":"A","seats":["A-3","A-4"]}`, `{"section_id":"A","quantity":4}`,
	` {"section_id" : "A" , "quantity" : 2 , "accessible" : true }` + "\r\n",
	`{"quantity":2,"section_id":"floor","accessible":false}`, `{"section_id":"A","seats":[]}`,
	`{"section_id":"A","seats":[ ]}`, `{}`, `{ }`, `{"section_id":"A","quantity":0}`,
	`{"section_id":"A","quantity":-1}`, `{"section_id":"A","quantity":-0}`, `{"section_id":"A","quantity":01}`,
	`{"section_id":"A","quantity":1.0}`, `{"section_id":"A","quantity":1e1}`, `{"section_id":"A","quantity":1E1}`,
	`{"section_id":"A","quantity":123456789}`, `{"section_id":"A","quantity":1234567890123456789012}`,
	`{"section_id":"A","quantity":"2"}`, `{"section_id":"A","quantity":null}`, `{"section_id":null,"quantity":1}`,
	`{"section_id":"A","seats":null}`, `{"section_id":"A","seats":["A-1",null]}`, `{"section_id":"A","seats":["A-1",]}`,
	`{"section_id":"A","seats":["A-1" "A-2"]}`, `{"section_id":"A","accessible":1,"quantity":1}`,
	`{"section_id":"A","accessible":truex,"quantity":1}`, `{"section_id":"A","accessible":tru}`,
	`{"Section_ID":"A","quantity":1}`, `{"SECTION_ID":"A","QUANTITY":1}`, `{"section_id":"A","quantity":1,"note":"x"}`,
	`{"section_id":"A","section_id":"B","quantity":2}`, `{"section_id":"A","quantity":1,"quantity":2}`,
	`{"section_id":"\u0041","quantity":1}`, `{"section_id":"A\"B","quantity":1}`, "{\"section_id\":\"A\tB\",\"quantity\":1}",
	"{\"section_id\":\"\xc3\xa9\",\"quantity\":1}", "{\"section_id\":\"\xff\",\"quantity\":1}",
	`{"section_id":"A","quantity":1}x`, `{"section_id":"A","quantity":1}{}`, `{"section_id":"A","quantity":1`,
	`{"section_id":"A",}`, `{,}`, `{"section_id"}`, `{"section_id":}`, `[]`, `null`, ``, `  `, `"x"`,
}

// TestDecodeHoldBodyMatchesDecoder: the hold body's own decoder accepts, refuses and
// fills exactly as decodeJSON (encoding/json) does, with the same problems, and reads
// the plain shapes without falling back.
func TestDecodeHoldBodyMatchesDecoder(t *testing.T) {
	for _, body := range holdBodySeeds {
		checkHoldBodyMatches(t, []byte(body))
	}
	for _, body := range []string{
		`{"section_id":"A","seats":["A-3","A-4"]}`, `{"section_id":"A","quantity":4}`,
		` {"section_id" : "A" , "quantity" : 2 , "accessible" : true }` + "\r\n",
		`{"section_id":"A","seats":[]}`, `{}`, `{"section_id":"A","quantity":123456789}`,
	} {
		var b holdBody
		if !scanHoldBody([]byte(body), &b) {
			t.Errorf("%s: not read directly", body)
		}
	}
	var b holdBody
	if !scanHoldBody([]byte(`{"section_id":"A","seats":[]}`), &b) || b.Seats == nil || len(b.Seats) != 0 {
		t.Errorf("an empty seat list reads as %#v, want an empty list", b.Seats)
	}
}

func checkHoldBodyMatches(t *testing.T, body []byte) {
	var want holdBody
	got, gotErr := decodeHoldBody(body)
	wantErr := decodeJSON(body, &want)
	if !reflect.DeepEqual(gotErr, wantErr) {
		t.Fatalf("%q: error %v, encoding/json's %v", body, gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: %+v, encoding/json %+v", body, got, want)
	}
}

func FuzzDecodeHoldBodyMatchesDecoder(f *testing.F) {
	for _, seed := range holdBodySeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(checkHoldBodyMatches)
}
