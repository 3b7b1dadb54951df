package api

import (
	"context"
	"time"

	"github.com/ticketblitz/ticketblitz/client"
)

// SetWaitingRoom calls PUT /api/v1/events/{event}/waiting-room (admin).
func (c *Client) SetWaitingRoom(ctx context.Context, eventID string, req WaitingRoomRequest) (WaitingRoom, Result) {
	var room WaitingRoom
	r := c.call(ctx, EndpointSetRoom, false, func(o ...client.CallOption) (err error) {
		room, err = c.api.SetWaitingRoom(ctx, eventID, req, o...)
		return err
	})
	return room, r
}

// JoinQueue calls POST /api/v1/events/{event}/queue: the caller's ticket.
func (c *Client) JoinQueue(ctx context.Context, eventID string) (QueueTicket, Result) {
	var t QueueTicket
	r := c.call(ctx, EndpointJoinQueue, false, func(o ...client.CallOption) (err error) {
		t, err = c.api.JoinQueue(ctx, eventID, o...)
		return err
	})
	return t, r
}

// QueueStatus calls GET /api/v1/queue/{ticket}: the ticket now.
func (c *Client) QueueStatus(ctx context.Context, ticketID string) (QueueTicket, Result) {
	var t QueueTicket
	r := c.call(ctx, EndpointQueueStatus, false, func(o ...client.CallOption) (err error) {
		t, err = c.api.QueueStatus(ctx, ticketID, o...)
		return err
	})
	return t, r
}

// AwaitQueue calls GET /api/v1/queue/{ticket}?wait_ms=: the ticket once it changes, or
// after wait (see client.Client.AwaitQueue).
func (c *Client) AwaitQueue(ctx context.Context, ticketID string, wait time.Duration) (QueueTicket, Result) {
	var t QueueTicket
	r := c.call(ctx, EndpointQueueWait, false, func(o ...client.CallOption) (err error) {
		t, err = c.api.AwaitQueue(ctx, ticketID, wait, o...)
		return err
	})
	return t, r
}

// FollowQueue follows the ticket over /ws/queue/{ticket} until fn returns false (see
// client.Client.FollowQueue); its messages are not samples.
func (c *Client) FollowQueue(ctx context.Context, ticketID string, fn func(QueueTicket) bool) error {
	return c.api.FollowQueue(ctx, ticketID, fn)
}
