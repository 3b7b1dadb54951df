package live

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	fws "github.com/fasthttp/websocket"
)

// frame is one complete, encoded server-to-client websocket frame (RFC 6455 §5.2: FIN,
// opcode, unmasked payload length, payload), a text frame unless control. It is built
// once and then written, read-only, to any number of connections: a delta to ten
// thousand subscribers is encoded once, and a slow connection's writer can hand several
// queued frames to the kernel in one writev.
type frame struct {
	data []byte
	// control marks a control frame (ping, pong, close), not counted as a message.
	control bool
}

// Largest payloads of the 7-bit and 16-bit length forms.
const (
	frameLen7  = 125
	frameLen16 = 1<<16 - 1
)

// newTextFrame encodes payload as one unfragmented, uncompressed text frame.
func newTextFrame(payload []byte) *frame {
	const finText = 0x80 | 0x1
	var b []byte
	switch n := len(payload); {
	case n <= frameLen7:
		b = make([]byte, 2, 2+n)
		b[1] = byte(n)
	case n <= frameLen16:
		b = make([]byte, 4, 4+n)
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
	default:
		b = make([]byte, 10, 10+n)
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
	}
	b[0] = finText
	return &frame{data: append(b, payload...)}
}

// frameHeaderMax is the longest frame header (the 64-bit length form).
const frameHeaderMax = 10

// textFrameAt makes a text frame of b[frameHeaderMax:], writing its header into the
// frameHeaderMax bytes reserved before the payload: no copy of the payload.
func textFrameAt(b []byte) *frame {
	const finText = 0x80 | 0x1
	payload := b[frameHeaderMax:]
	var h int
	switch n := len(payload); {
	case n <= frameLen7:
		h = 2
		b[frameHeaderMax-1] = byte(n)
	case n <= frameLen16:
		h = 4
		b[frameHeaderMax-3] = 126
		binary.BigEndian.PutUint16(b[frameHeaderMax-2:], uint16(n))
	default:
		h = 10
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
	}
	b[frameHeaderMax-h] = finText
	return &frame{data: b[frameHeaderMax-h:]}
}

// prepareJSON encodes v once as a text frame that any number of connections can write.
func prepareJSON(v any) (*frame, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode websocket message: %w", err)
	}
	return newTextFrame(raw), nil
}

// The control frames' opcodes (RFC 6455 §5.5).
const (
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// controlFrame encodes a control frame with payload, cut to the 125 bytes a control
// frame may carry.
func controlFrame(op byte, payload []byte) *frame {
	payload = payload[:min(len(payload), frameLen7)]
	b := make([]byte, 2, 2+len(payload))
	b[0] = 0x80 | op
	b[1] = byte(len(payload))
	return &frame{data: append(b, payload...), control: true}
}

// closeFrame encodes a close frame with code and reason.
func closeFrame(code int, reason string) *frame {
	return controlFrame(opClose, fws.FormatCloseMessage(code, reason))
}
