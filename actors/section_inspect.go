package actors

import (
	"errors"

	"github.com/asynkron/protoactor-go/actor"
)

// inspectMessages is the most queued commands an inspection lists: the oldest ones.
const inspectMessages = 100

// inspection is the section's live state as the mailbox inspector shows it. The mailbox
// depth counts what waits in the mailbox and, while paused, in the pause's queue; only the
// queued commands can be listed (the mailbox's own queue is protoactor's).
func (a *sectionActor) inspection() *InspectReply {
	if a.st == nil {
		return inspectError(a.unavailableErr())
	}
	r := &InspectReply{
		Node: a.cfg.NodeName, Epoch: a.st.epoch, Version: a.st.version, SinceUnixMicro: a.activatedAt.UnixMicro(),
		Paused: a.pause != nil, MailboxDepth: int32(a.queued()),
		BatchWriting: int32(len(a.inflight)), BatchNext: int32(len(a.pending)),
		HoldsActive: int32(a.st.activeHolds), DecisionsTotal: a.decisions,
	}
	if p := a.pause; p != nil {
		now := a.cfg.Clock.Now()
		for _, q := range p.queue[:min(len(p.queue), inspectMessages)] {
			r.Messages = append(r.Messages, &QueuedCommand{Type: commandType(q.msg), UserId: commandUser(q.msg),
				AgeMicro: now.Sub(q.at).Microseconds()})
		}
	}
	return r
}

// queued is how many messages wait for the section: in its mailbox and, while it is
// paused, in the pause's queue.
func (a *sectionActor) queued() int {
	n := a.depth.value()
	if a.pause != nil {
		n += len(a.pause.queue)
	}
	return n
}

// inspectError is the InspectReply carrying err.
func inspectError(err error) *InspectReply {
	var e *Error
	if !errors.As(err, &e) {
		e = Unavailable(err.Error())
	}
	code, ok := codeToProto[e.Code]
	if !ok {
		code = ErrorCode_ERROR_CODE_UNAVAILABLE
	}
	return &InspectReply{Code: code, Message: e.Message}
}

// respondLater returns how to answer the current message's sender after this message
// (nothing when there is no sender).
func (a *sectionActor) respondLater(ctx actor.Context) func(any) {
	sender := ctx.Sender()
	root := a.root
	if root == nil {
		root = ctx.ActorSystem().Root
	}
	return func(m any) {
		if sender != nil {
			root.Send(sender, m)
		}
	}
}

// commandType names a command as the inspector shows it.
func commandType(msg any) string {
	switch msg.(type) {
	case *HoldCommand:
		return "Hold"
	case *ReleaseCommand:
		return "Release"
	case *ExtendCommand:
		return "Extend"
	case *ConfirmCommand:
		return "Confirm"
	case *CancelCommand:
		return "Cancel"
	case *WakeCommand:
		return "Wake"
	}
	return "Other"
}

// commandUser is the user a command acts for ("" for the expiry reminder's wake).
func commandUser(msg any) string {
	if u, ok := msg.(interface{ GetUserId() string }); ok {
		return u.GetUserId()
	}
	return ""
}
