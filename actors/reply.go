package actors

import (
	"time"

	"google.golang.org/protobuf/proto"
)

var codeToProto = map[Code]ErrorCode{
	CodeValidation:          ErrorCode_ERROR_CODE_VALIDATION,
	CodePaymentDeclined:     ErrorCode_ERROR_CODE_PAYMENT_DECLINED,
	CodeForbidden:           ErrorCode_ERROR_CODE_FORBIDDEN,
	CodeNotFound:            ErrorCode_ERROR_CODE_NOT_FOUND,
	CodeSeatUnavailable:     ErrorCode_ERROR_CODE_SEAT_UNAVAILABLE,
	CodeSoldOut:             ErrorCode_ERROR_CODE_SOLD_OUT,
	CodeHoldNotActive:       ErrorCode_ERROR_CODE_HOLD_NOT_ACTIVE,
	CodeIdempotencyConflict: ErrorCode_ERROR_CODE_IDEMPOTENCY_CONFLICT,
	CodeHoldExpired:         ErrorCode_ERROR_CODE_HOLD_EXPIRED,
	CodeLimitExceeded:       ErrorCode_ERROR_CODE_LIMIT_EXCEEDED,
	CodeUnavailable:         ErrorCode_ERROR_CODE_UNAVAILABLE,
	CodeUnauthenticated:     ErrorCode_ERROR_CODE_UNAUTHENTICATED,
	CodeRateLimited:         ErrorCode_ERROR_CODE_RATE_LIMITED,
	codeNotInSection:        ErrorCode_ERROR_CODE_NOT_IN_SECTION,
	codeExpired:             ErrorCode_ERROR_CODE_EXPIRED,
	codeOverloaded:          ErrorCode_ERROR_CODE_OVERLOADED,
}

// protoToCode is codeToProto the other way round, for reading replies (one a refusal
// of each decision a rush turns down).
var protoToCode = func() map[ErrorCode]Code {
	m := make(map[ErrorCode]Code, len(codeToProto))
	for c, p := range codeToProto {
		m[p] = c
	}
	return m
}()

// plainRefusals are the sentinels Reply.Err answers with, instead of a new Error, for a
// reply that carries exactly their code and text and nothing more: SOLD_OUT, most
// answers of a rush, and the other refusals sections send as they are.
var plainRefusals = func() map[ErrorCode]*Error {
	m := map[ErrorCode]*Error{}
	for _, e := range []*Error{ErrSoldOut, ErrSeatUnavailable, ErrHoldNotActive, ErrHoldExpired, ErrLimitExceeded, ErrForbidden, ErrNotFound, ErrIdempotencyConflict, ErrPaymentDeclined} {
		m[codeToProto[e.Code]] = e
	}
	return m
}()

// ErrorReply encodes err as a Reply. Errors that are not domain errors become
// UNAVAILABLE: the caller may retry, and the cause stays in the server's log.
//
// A plain refusal (one of plainRefusals itself, SOLD_OUT most of all) is answered with
// one Reply made once and shared: nothing changes a Reply once made (it is read, copied
// into messages and marshalled, which protobuf allows at once from many goroutines), so
// a rush's refusals need not make one each.
func ErrorReply(err error) *Reply {
	e, ok := AsError(err)
	if !ok {
		e = Unavailable("internal error")
	}
	if r := plainReplies[e]; r != nil {
		return r
	}
	return newErrorReply(e)
}

func newErrorReply(e *Error) *Reply {
	return &Reply{Code: codeToProto[e.Code], Message: e.Message, Seats: e.Seats, Fields: e.Fields}
}

// plainReplies are the shared replies of the plain refusals (see ErrorReply).
var plainReplies = func() map[*Error]*Reply {
	m := make(map[*Error]*Reply, len(plainRefusals))
	for _, e := range plainRefusals {
		m[e] = newErrorReply(e)
	}
	return m
}()

// Err turns a Reply's code back into the matching domain error, or nil.
func (r *Reply) Err() error {
	if r.GetCode() == ErrorCode_ERROR_CODE_NONE {
		return nil
	}
	if c, ok := protoToCode[r.GetCode()]; ok {
		if s := plainRefusals[r.GetCode()]; s != nil && s.Message == r.GetMessage() && len(r.GetSeats()) == 0 && len(r.GetFields()) == 0 {
			return s // nothing changes an Error once made: the sentinel is the same value
		}
		return &Error{Code: c, Message: r.GetMessage(), Seats: r.GetSeats(), Fields: r.GetFields()}
	}
	return Unavailable("unknown error code " + r.GetCode().String())
}

// HoldReply wraps a hold in a Reply.
func HoldReply(h Hold) *Reply { return &Reply{Hold: HoldToMsg(h)} }

// OrderReply wraps an order in a Reply.
func OrderReply(o Order) *Reply { return &Reply{Order: OrderToMsg(o)} }

// EncodeReply marshals a reply for the idempotency table.
func EncodeReply(r *Reply) []byte {
	b, _ := proto.Marshal(r) // a Reply always marshals
	return b
}

// DecodeReply unmarshals a stored reply.
func DecodeReply(b []byte) (*Reply, error) {
	r := &Reply{}
	if err := proto.Unmarshal(b, r); err != nil {
		return nil, err
	}
	return r, nil
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// HoldToMsg converts a hold to its protobuf form.
func HoldToMsg(h Hold) *HoldMsg {
	return &HoldMsg{
		Id: h.ID, EventId: h.EventID, SectionId: h.SectionID, UserId: h.UserID,
		Seats: h.Seats, Quantity: int32(h.Quantity), Status: string(h.Status),
		ExpiresAtUnixMicro: micros(h.ExpiresAt), CreatedAtUnixMicro: micros(h.CreatedAt),
		UpdatedAtUnixMicro: micros(h.UpdatedAt), OrderId: h.OrderID,
	}
}

// HoldFromMsg converts a protobuf hold back.
func HoldFromMsg(m *HoldMsg) Hold {
	return Hold{
		ID: m.GetId(), EventID: m.GetEventId(), SectionID: m.GetSectionId(), UserID: m.GetUserId(),
		Seats: append([]string{}, m.GetSeats()...), Quantity: int(m.GetQuantity()), Status: HoldStatus(m.GetStatus()),
		ExpiresAt: fromMicros(m.GetExpiresAtUnixMicro()), CreatedAt: fromMicros(m.GetCreatedAtUnixMicro()),
		UpdatedAt: fromMicros(m.GetUpdatedAtUnixMicro()), OrderID: m.GetOrderId(),
	}
}

// OrderToMsg converts an order to its protobuf form.
func OrderToMsg(o Order) *OrderMsg {
	return &OrderMsg{
		Id: o.ID, HoldId: o.HoldID, EventId: o.EventID, SectionId: o.SectionID, UserId: o.UserID,
		Seats: o.Seats, Quantity: int32(o.Quantity), Status: string(o.Status), TotalCents: o.TotalCents,
		Currency: o.Currency, CreatedAtUnixMicro: micros(o.CreatedAt), UpdatedAtUnixMicro: micros(o.UpdatedAt),
	}
}

// OrderFromMsg converts a protobuf order back.
func OrderFromMsg(m *OrderMsg) Order {
	return Order{
		ID: m.GetId(), HoldID: m.GetHoldId(), EventID: m.GetEventId(), SectionID: m.GetSectionId(),
		UserID: m.GetUserId(), Seats: append([]string{}, m.GetSeats()...), Quantity: int(m.GetQuantity()),
		Status: OrderStatus(m.GetStatus()), TotalCents: m.GetTotalCents(), Currency: m.GetCurrency(),
		CreatedAt: fromMicros(m.GetCreatedAtUnixMicro()), UpdatedAt: fromMicros(m.GetUpdatedAtUnixMicro()),
	}
}
