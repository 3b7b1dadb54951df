package client

import (
	"encoding/json"
	"reflect"
	"testing"
)

// queueMessages are messages of the queue websocket and near misses; for every one
// decodeQueueMessage must say what encoding/json says.
var queueMessages = []string{
	waitingMsg,
	admittedMsg,
	`{"type":"queue","id":"q_9","event_id":"e","user_id":"u","position":null,"ahead":0,"eta_seconds":0,"status":"waiting","pass":null,"pass_expires_at":null,"joined_at":"2026-06-01T11:59:00.123456789+02:00"}`,
	"  {\n\t\"type\" : \"queue\" , \"ahead\" : -12 }  ",
	`{}`,
	`{"type":"queue","status":"sold_out","position":1,"position":null}`,
	`{"type":"queue","pass":"p","pass":null,"pass_expires_at":"2026-06-01T12:10:00Z","pass_expires_at":null}`,
	`{"type":"queue","id":null,"ahead":null,"joined_at":null}`,
	`{"type":"queue","follow_after_ms":null}`,
	`{"type":"queue","follow_after_ms":-3,"follow_after_ms":1800}`,
	// Left to encoding/json: escapes, floats, other keys, nesting, case, bad input.
	`{"type":"queue","id":"q\u005f1","user_id":"a\"b"}`,
	`{"type":"queue","eta_seconds":1.5}`,
	`{"type":"queue","follow_after_ms":2.5}`,
	`{"type":"queue","eta_seconds":1e3}`,
	`{"type":"queue","eta_seconds":01}`,
	`{"type":"queue","eta_seconds":99999999999999999999}`,
	`{"type":"queue","extra":{"a":[1,2]},"id":"q"}`,
	`{"Type":"queue","ID":"q"}`,
	`{"type":"queue","joined_at":"yesterday"}`,
	`{"type":"queue","joined_at":"2026-06-01 12:00:00"}`,
	`{"type":"queue","id":"q"} trailing`,
	`{"type":"queue","id":"q",}`,
	`{"type":"queue" "id":"q"}`,
	`{"type":"queue","id":"q"`,
	`{"type":"queue","position":"3"}`,
	`{"type":"queue","pass":true}`,
	"{\"type\":\"queue\",\"id\":\"a\tb\"}",
	"{\"type\":\"queue\",\"id\":\"\xff\"}",
	`[]`,
	``,
	`nul`,
}

func TestDecodeQueueMessageAsEncodingJSON(t *testing.T) {
	for _, msg := range queueMessages {
		var want queueMessage
		wantErr := json.Unmarshal([]byte(msg), &want)
		got, err := decodeQueueMessage([]byte(msg))
		if (err == nil) != (wantErr == nil) {
			t.Errorf("%s: error %v, encoding/json's %v", msg, err, wantErr)
			continue
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", msg, got, want)
		}
	}
}

func TestServerMessagesSkipReflection(t *testing.T) {
	for _, msg := range []string{waitingMsg, admittedMsg} {
		m, ok := fastQueueMessage([]byte(msg))
		if !ok {
			t.Errorf("%s went to encoding/json: the server's own message should be read directly", msg)
		}
		if m.Type != queueMessageType || m.ID != "q_1" || m.Position == nil || *m.Position != 3 {
			t.Errorf("%s: %+v", msg, m)
		}
		if want := map[string]int64{"waiting": 1250, "admitted": 0}[m.Status]; m.FollowAfterMS != want {
			t.Errorf("%s: follow_after_ms %d, want %d", msg, m.FollowAfterMS, want)
		}
	}
}

func FuzzDecodeQueueMessage(f *testing.F) {
	for _, msg := range queueMessages {
		f.Add([]byte(msg))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want queueMessage
		wantErr := json.Unmarshal(data, &want)
		got, err := decodeQueueMessage(data)
		if (err == nil) != (wantErr == nil) || (err == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%q: %+v, %v; encoding/json: %+v, %v", data, got, err, want, wantErr)
		}
	})
}
