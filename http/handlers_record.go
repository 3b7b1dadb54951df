package http

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ticketblitz/ticketblitz/actors"
)

// A section's record is read a page at a time: recordPageDefault attempts unless the
// request asks for another number, at most recordPageMax.
const (
	recordPageDefault = 500
	recordPageMax     = 2000
)

type sectionRecordJSON struct {
	EventID   string              `json:"event_id"`
	SectionID string              `json:"section_id"`
	FirstSeq  int64               `json:"first_seq"`
	LastSeq   int64               `json:"last_seq"`
	Attempts  []recordAttemptJSON `json:"attempts"`
	NextAfter *int64              `json:"next_after"`
}

type recordAttemptJSON struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	// ReceivedAt is when the command entered the section's mailbox; null when unknown
	// (expiries, attempts recorded before arrivals were).
	ReceivedAt *time.Time      `json:"received_at"`
	Version    int64           `json:"version"`
	Batch      recordBatchJSON `json:"batch"`
	UserID     string          `json:"user_id"`
	Action     string          `json:"action"`
	Seats      []string        `json:"seats"`
	Ref        string          `json:"ref"`
	Outcome    string          `json:"outcome"`
	Code       *string         `json:"code"`
	CauseSeq   *int64          `json:"cause_seq"`
}

// recordBatchJSON names the batch that wrote an attempt: the one that committed
// version, or (record_only) a batch of refusals alone written after it.
type recordBatchJSON struct {
	Version    int64 `json:"version"`
	RecordOnly bool  `json:"record_only"`
}

// sectionRecord answers GET /api/v1/admin/sections/{event_id}/{section_id}/record (admin):
// a page of the section's attempt log in decision order, each attempt with its batch and
// its outcome, for a viewer that replays the sale step by step.
func (s *Server) sectionRecord(c *fiber.Ctx) error {
	eventID, err := pathID(c.Params("event_id"), actors.ValidLookupID, "event")
	if err != nil {
		return err
	}
	sectionID, err := pathID(c.Params("section_id"), actors.ValidSectionID, "section")
	if err != nil {
		return err
	}
	after, limit, err := recordWindow(c.Query("after"), c.Query("limit"))
	if err != nil {
		return err
	}
	if s.cfg.Attempts == nil {
		return &actors.Error{Code: actors.CodeNotRecorded, Message: "this server keeps no attempt log (its strategy is not actor, or the log is off)"}
	}
	key := actors.SectionKey{EventID: eventID, SectionID: sectionID}
	page, err := s.cfg.Attempts.SectionRecord(c.UserContext(), key, after, limit)
	if err != nil {
		return fmt.Errorf("record of %s: %w", key.Identity(), err)
	}
	return c.JSON(toSectionRecordJSON(key, page, limit))
}

// recordWindow reads the after and limit query parameters.
func recordWindow(rawAfter, rawLimit string) (after int64, limit int, err error) {
	problems := map[string]string{}
	if rawAfter != "" {
		if after, err = strconv.ParseInt(rawAfter, 10, 64); err != nil || after < 0 {
			problems["after"] = "must be an attempt number, 0 or more"
		}
	}
	limit = recordPageDefault
	if rawLimit != "" {
		if limit, err = strconv.Atoi(rawLimit); err != nil || limit < 1 || limit > recordPageMax {
			problems["limit"] = fmt.Sprintf("must be between 1 and %d", recordPageMax)
		}
	}
	if len(problems) > 0 {
		return 0, 0, actors.InvalidFields(problems)
	}
	return after, limit, nil
}

func toSectionRecordJSON(key actors.SectionKey, p actors.RecordPage, limit int) sectionRecordJSON {
	out := sectionRecordJSON{EventID: key.EventID, SectionID: key.SectionID, FirstSeq: p.FirstSeq, LastSeq: p.LastSeq,
		Attempts: make([]recordAttemptJSON, 0, len(p.Attempts))}
	for _, a := range p.Attempts {
		j := recordAttemptJSON{Seq: a.Seq, At: a.At, Version: a.Version,
			Batch:  recordBatchJSON{Version: a.Version, RecordOnly: p.RecordOnly(a)},
			UserID: a.UserID, Action: a.Action, Seats: a.Seats, Ref: a.Ref, Outcome: "granted"}
		if j.Seats == nil {
			j.Seats = []string{}
		}
		if !a.ReceivedAt.IsZero() {
			received := a.ReceivedAt
			j.ReceivedAt = &received
		}
		if !a.Granted() {
			code := string(a.Code)
			j.Outcome, j.Code = "refused", &code
			if a.CauseSeq > 0 {
				cause := a.CauseSeq
				j.CauseSeq = &cause
			}
		}
		out.Attempts = append(out.Attempts, j)
	}
	if n := len(p.Attempts); n == limit && p.Attempts[n-1].Seq < p.LastSeq {
		next := p.Attempts[n-1].Seq
		out.NextAfter = &next
	}
	return out
}
