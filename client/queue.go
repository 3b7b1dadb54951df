package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fasthttp/websocket"
)

// QueuePass sends the X-Queue-Pass header with a hold: the pass of an admitted ticket
// (QueueTicket.Pass), which a hold on an event whose waiting room is enabled needs. An
// empty pass sends nothing.
func QueuePass(pass string) CallOption {
	return func(c *callConfig) { c.queuePass = pass }
}

// SetWaitingRoom calls PUT /api/v1/events/{event_id}/waiting-room (admin): opens,
// changes or closes the event's waiting room and returns it.
func (c *Client) SetWaitingRoom(ctx context.Context, eventID string, req WaitingRoomRequest, opts ...CallOption) (WaitingRoom, error) {
	var room WaitingRoom
	r := newRoute(http.MethodPut, "/api/v1/events/{event_id}/waiting-room", eventID)
	r.body = req
	err := c.do(ctx, r, &room, opts)
	return room, err
}

// WaitingRoom calls GET /api/v1/events/{event_id}/waiting-room: the room and its queue
// right now (disabled, fifo, for an event whose room was never set).
func (c *Client) WaitingRoom(ctx context.Context, eventID string, opts ...CallOption) (WaitingRoom, error) {
	var room WaitingRoom
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/events/{event_id}/waiting-room", eventID), &room, opts)
	return room, err
}

// JoinQueue calls POST /api/v1/events/{event_id}/queue: the caller's ticket in the
// event's queue. Joining again returns the same ticket; the status (Capture) tells a
// new ticket (201) from the one the caller held already (200).
func (c *Client) JoinQueue(ctx context.Context, eventID string, opts ...CallOption) (QueueTicket, error) {
	var t QueueTicket
	err := c.do(ctx, newRoute(http.MethodPost, "/api/v1/events/{event_id}/queue", eventID), &t, opts)
	return t, err
}

// QueueStatus calls GET /api/v1/queue/{ticket_id} (its owner or an admin): the ticket
// now, with its pass once admitted.
func (c *Client) QueueStatus(ctx context.Context, ticketID string, opts ...CallOption) (QueueTicket, error) {
	var t QueueTicket
	err := c.do(ctx, newRoute(http.MethodGet, "/api/v1/queue/{ticket_id}", ticketID), &t, opts)
	return t, err
}

// AwaitQueue calls GET /api/v1/queue/{ticket_id}?wait_ms=: while the ticket is
// waiting, the answer comes once its status or position changes, or after wait (at
// most 30 s; whole milliseconds), then as it stands. The HTTP client's timeout must
// be longer than wait.
func (c *Client) AwaitQueue(ctx context.Context, ticketID string, wait time.Duration, opts ...CallOption) (QueueTicket, error) {
	var t QueueTicket
	r := newRoute(http.MethodGet, "/api/v1/queue/{ticket_id}", ticketID)
	r.path += "?wait_ms=" + strconv.FormatInt(wait.Milliseconds(), 10)
	err := c.do(ctx, r, &t, opts)
	return t, err
}

// ErrQueueFeedRefused wraps the status of a refused /ws/queue upgrade (an unknown
// ticket is 404, a node at its connection limit 503).
var ErrQueueFeedRefused = errors.New("queue websocket refused")

// queueMessageType is the type of every message of /ws/queue/{ticket_id}.
const queueMessageType = "queue"

// FollowQueue opens GET /ws/queue/{ticket_id} and calls fn with the ticket each time
// the server pushes it: at once, whenever it changes, and at least every 2 s. It
// returns nil when fn returns false, and an error when ctx ends, the connection fails
// or a message is not a ticket. The ticket id is the capability: no token is sent. The
// connection is the Client's own, not one of its HTTP client's, dialled as
// WithWebSocketDialer says.
func (c *Client) FollowQueue(ctx context.Context, ticketID string, fn func(QueueTicket) bool) error {
	u := strings.Replace(c.base, "http", "ws", 1) + pathOf("/ws/queue/{ticket_id}", ticketID)
	d := websocket.Dialer{HandshakeTimeout: DefaultTimeout, ReadBufferSize: 2 << 10, WriteBufferSize: 256,
		NetDialContext: c.wsDial}
	conn, resp, err := d.DialContext(ctx, u, nil)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
			return fmt.Errorf("follow %s: %w: status %d", u, ErrQueueFeedRefused, resp.StatusCode)
		}
		return fmt.Errorf("follow %s: %w", u, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	defer conn.Close()
	var buf bytes.Buffer // one message at a time, its memory reused
	for {
		buf.Reset()
		_, r, err := conn.NextReader()
		if err == nil {
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("follow %s: %w", u, ctx.Err())
			}
			return fmt.Errorf("follow %s: %w", u, err)
		}
		m, err := decodeQueueMessage(buf.Bytes())
		if err != nil {
			return fmt.Errorf("follow %s: decode message: %w", u, err)
		}
		if m.Type != queueMessageType {
			return fmt.Errorf("follow %s: message of type %q, want %q", u, m.Type, queueMessageType)
		}
		if !fn(m.QueueTicket) {
			conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			return nil
		}
	}
}
