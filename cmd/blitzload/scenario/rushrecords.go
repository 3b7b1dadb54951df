package scenario

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Rushes a QueueFanRecord belongs to, as written by WriteQueueRecords.
const (
	RushRoom  = "room"
	RushPlain = "no room"
)

// queueRecordLine is one line of the records file: a fan's record and its rush.
type queueRecordLine struct {
	Rush string `json:"rush"`
	QueueFanRecord
}

// WriteQueueRecords writes every fan's record of both rushes to w, one JSON object a
// line: the room's first, then those of the rush without it, each with its rush.
func WriteQueueRecords(w io.Writer, room, plain []QueueFanRecord) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, side := range []struct {
		rush string
		recs []QueueFanRecord
	}{{RushRoom, room}, {RushPlain, plain}} {
		for i := range side.recs {
			if err := enc.Encode(queueRecordLine{Rush: side.rush, QueueFanRecord: side.recs[i]}); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// writeQueueRecordsFile writes the records to path (WriteQueueRecords).
func writeQueueRecordsFile(path string, room, plain []QueueFanRecord) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("queue records: %w", err)
	}
	if err := WriteQueueRecords(f, room, plain); err != nil {
		f.Close()
		return fmt.Errorf("queue records: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("queue records: close %s: %w", path, err)
	}
	return nil
}
