package events

import "encoding/json"

// envelopeHead returns the "id" and "type" of the JSON envelope raw, as json.Unmarshal
// into an actors.Envelope would set them, without decoding the rest: the notifications
// consumer needs only those two of every record it reads, and decoding the whole
// envelope (its time parsed, its data copied) was most of what reading a record cost
// it. encoding/json still checks the whole of raw and skips the fields not asked for.
func envelopeHead(raw []byte) (id, typ string, err error) {
	var head struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	err = json.Unmarshal(raw, &head)
	return head.ID, head.Type, err
}
