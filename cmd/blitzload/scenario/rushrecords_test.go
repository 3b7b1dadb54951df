package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestWriteQueueRecordsOneLineAFanWithItsRush(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	room := []QueueFanRecord{
		{User: "a", Position: 1, JoinStart: t0, JoinEnd: t0.Add(time.Second), Admitted: t0.Add(2 * time.Second), HoldCode: "", Done: t0.Add(3 * time.Second)},
		{User: "b", Position: 2, HoldCode: "SOLD_OUT", Done: t0.Add(4 * time.Second)},
	}
	plain := []QueueFanRecord{{User: "a", HoldStart: t0, Done: t0.Add(time.Second)}}
	var buf bytes.Buffer
	if err := WriteQueueRecords(&buf, room, plain); err != nil {
		t.Fatal(err)
	}
	var got []queueRecordLine
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var l queueRecordLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, l)
	}
	if len(got) != 3 {
		t.Fatalf("%d lines, want 3", len(got))
	}
	want := []struct {
		rush, user string
		pos        int64
		done       time.Time
	}{{RushRoom, "a", 1, t0.Add(3 * time.Second)}, {RushRoom, "b", 2, t0.Add(4 * time.Second)}, {RushPlain, "a", 0, t0.Add(time.Second)}}
	for i, w := range want {
		g := got[i]
		if g.Rush != w.rush || g.User != w.user || g.Position != w.pos || !g.Done.Equal(w.done) {
			t.Errorf("line %d: %s %s %d %v, want %s %s %d %v", i, g.Rush, g.User, g.Position, g.Done, w.rush, w.user, w.pos, w.done)
		}
	}
	if !got[0].Admitted.Equal(t0.Add(2*time.Second)) || got[1].HoldCode != "SOLD_OUT" {
		t.Errorf("fields lost: %+v / %+v", got[0].QueueFanRecord, got[1].QueueFanRecord)
	}
}
