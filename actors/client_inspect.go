package actors

import (
	"context"
	"fmt"
	"time"

	protocluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/proto"
)

// SectionInspection is a section actor's live state (the mailbox inspector).
type SectionInspection struct {
	// Node hosts the section; Epoch and Version are its activation's, which finished
	// loading at Since.
	Node           string
	Epoch, Version int64
	Since          time.Time
	// Paused is set while the section is paused in the classroom.
	Paused bool
	// MailboxDepth counts the messages waiting for the section; Messages lists the
	// oldest queued commands (only a paused section's queue can be listed).
	MailboxDepth int
	Messages     []QueuedMessage
	// BatchWriting counts the decisions of the batch being written, BatchNext those
	// waiting for the next one.
	BatchWriting, BatchNext int
	HoldsActive             int
	// DecisionsTotal counts the decisions answered since the activation.
	DecisionsTotal int64
}

// QueuedMessage is one command waiting in a paused section.
type QueuedMessage struct {
	Type   string // Hold, Release, Extend, Confirm, Cancel or Wake
	UserID string
	Age    time.Duration
}

// Inspect returns a section's live state, activating the section when it is not active.
func (c *Client) Inspect(ctx context.Context, key SectionKey) (SectionInspection, error) {
	return c.inspect(ctx, key, &InspectQuery{})
}

// Pause pauses a section (the classroom): it decides nothing until Resume, Step or the
// pause limit. by names who asked, for the logs and the visualizer.
func (c *Client) Pause(ctx context.Context, key SectionKey, by string) (SectionInspection, error) {
	return c.inspect(ctx, key, &PauseCommand{By: by})
}

// Resume resumes a paused section: its queued commands are decided in order.
func (c *Client) Resume(ctx context.Context, key SectionKey, by string) (SectionInspection, error) {
	return c.inspect(ctx, key, &ResumeCommand{By: by})
}

// Step makes a paused section decide its oldest queued command and returns once that
// decision is written; a section that is not paused answers VALIDATION_FAILED.
func (c *Client) Step(ctx context.Context, key SectionKey, by string) (SectionInspection, error) {
	return c.inspect(ctx, key, &StepCommand{By: by})
}

// inspect sends msg once, bounded by ctx and the attempt timeout (none of these
// messages is retried: pause, resume and step are the operator's to repeat).
func (c *Client) inspect(ctx context.Context, key SectionKey, msg proto.Message) (SectionInspection, error) {
	timeout := c.cfg.AttemptTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if timeout <= 0 {
		return SectionInspection{}, Unavailable("no time left to ask the section")
	}
	res, err := c.cluster.Request(key.Identity(), SectionKindName, msg,
		protocluster.WithTimeout(timeout), protocluster.WithRetryCount(1))
	if err != nil {
		return SectionInspection{}, Unavailable("section did not answer: " + err.Error())
	}
	r, ok := res.(*InspectReply)
	if !ok {
		return SectionInspection{}, Unavailable(fmt.Sprintf("unexpected answer %T", res))
	}
	if err := r.Err(); err != nil {
		return SectionInspection{}, err
	}
	return InspectionFromMsg(r), nil
}

// Err is the error the reply carries, nil when it carries the section's state.
func (r *InspectReply) Err() error {
	if r.GetCode() == ErrorCode_ERROR_CODE_NONE {
		return nil
	}
	return (&Reply{Code: r.GetCode(), Message: r.GetMessage()}).Err()
}

// InspectionFromMsg converts a section's InspectReply.
func InspectionFromMsg(r *InspectReply) SectionInspection {
	out := SectionInspection{
		Node: r.GetNode(), Epoch: r.GetEpoch(), Version: r.GetVersion(), Since: time.UnixMicro(r.GetSinceUnixMicro()).UTC(),
		Paused: r.GetPaused(), MailboxDepth: int(r.GetMailboxDepth()),
		BatchWriting: int(r.GetBatchWriting()), BatchNext: int(r.GetBatchNext()),
		HoldsActive: int(r.GetHoldsActive()), DecisionsTotal: r.GetDecisionsTotal(),
		Messages: make([]QueuedMessage, 0, len(r.GetMessages())),
	}
	for _, m := range r.GetMessages() {
		out.Messages = append(out.Messages, QueuedMessage{Type: m.GetType(), UserID: m.GetUserId(),
			Age: time.Duration(m.GetAgeMicro()) * time.Microsecond})
	}
	return out
}
