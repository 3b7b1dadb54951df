package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/fasthttp/websocket"
)

// WSMessage is one message of /ws/events/{event_id}: a snapshot, a seats delta or a
// capacity delta.
type WSMessage struct {
	Type      string          `json:"type"`
	EventID   string          `json:"event_id"`
	SectionID string          `json:"section_id"`
	Version   int64           `json:"version"`
	Changes   []WSSeatChange  `json:"changes"`
	Sections  []WSSectionSnap `json:"sections"`
	Available int             `json:"available"`
	Held      int             `json:"held"`
	Sold      int             `json:"sold"`
}

// WSSeatChange is one seat's new status in a delta.
type WSSeatChange struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// WSSectionSnap is one section of a snapshot.
type WSSectionSnap struct {
	SectionID string         `json:"section_id"`
	Version   int64          `json:"version"`
	Seats     []WSSeatChange `json:"seats"`
}

// ErrWebSocketsUnavailable means the server refused the upgrade (no such endpoint).
var ErrWebSocketsUnavailable = errors.New("websockets unavailable")

// Subscription is one websocket subscription to an event.
type Subscription struct {
	conn *websocket.Conn
}

// Subscribe opens /ws/events/{event_id}. A refused upgrade wraps
// ErrWebSocketsUnavailable with the status the server answered.
func Subscribe(ctx context.Context, base, eventID string, timeout time.Duration) (*Subscription, error) {
	return SubscribeBuffered(ctx, base, eventID, timeout, 16<<10)
}

// SubscribeBuffered is Subscribe with a read buffer of readBuffer bytes, for clients
// that hold thousands of subscriptions.
func SubscribeBuffered(ctx context.Context, base, eventID string, timeout time.Duration, readBuffer int) (*Subscription, error) {
	u := strings.Replace(strings.TrimRight(base, "/"), "http", "ws", 1) + "/ws/events/" + url.PathEscape(eventID)
	d := websocket.Dialer{HandshakeTimeout: timeout, ReadBufferSize: readBuffer, WriteBufferSize: 256}
	conn, resp, err := d.DialContext(ctx, u, nil)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("%w: %s answered %d", ErrWebSocketsUnavailable, u, resp.StatusCode)
		}
		return nil, fmt.Errorf("subscribe %s: %w", u, err)
	}
	return &Subscription{conn: conn}, nil
}

// Next reads one message; it returns when one arrives, the deadline passes, or the
// connection closes.
func (s *Subscription) Next(deadline time.Time) (WSMessage, time.Time, error) {
	if err := s.conn.SetReadDeadline(deadline); err != nil {
		return WSMessage{}, time.Time{}, fmt.Errorf("websocket deadline: %w", err)
	}
	_, data, err := s.conn.ReadMessage()
	at := time.Now()
	if err != nil {
		return WSMessage{}, at, fmt.Errorf("websocket read: %w", err)
	}
	var m WSMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return WSMessage{}, at, fmt.Errorf("websocket message: %w", err)
	}
	return m, at, nil
}

// SetReadDeadline sets the deadline of the reads that follow.
func (s *Subscription) SetReadDeadline(t time.Time) error {
	if err := s.conn.SetReadDeadline(t); err != nil {
		return fmt.Errorf("websocket deadline: %w", err)
	}
	return nil
}

// NextRaw reads one message into buf (reusing its memory) without decoding it, and
// returns it with its arrival time: for clients that decode only what they need.
func (s *Subscription) NextRaw(buf []byte) ([]byte, time.Time, error) {
	_, r, err := s.conn.NextReader()
	at := time.Now()
	if err != nil {
		return buf[:0], at, fmt.Errorf("websocket read: %w", err)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, at, nil
		}
		if err != nil {
			return buf, at, fmt.Errorf("websocket read: %w", err)
		}
	}
}

// Close closes the connection.
func (s *Subscription) Close() error { return s.conn.Close() }
