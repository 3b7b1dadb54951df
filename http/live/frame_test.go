package live

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
)

// readFrame decodes one unmasked server frame (RFC 6455 §5.2).
func readFrame(t *testing.T, r io.Reader) (fin bool, opcode byte, payload []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatalf("frame header: %v", err)
	}
	if h[1]&0x80 != 0 {
		t.Fatal("a server frame is masked")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			t.Fatal(err)
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			t.Fatal(err)
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		t.Fatalf("frame payload: %v", err)
	}
	return h[0]&0x80 != 0, h[0] & 0x0f, payload
}

func TestTextFrameLengthForms(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 70000} {
		payload := bytes.Repeat([]byte{'x'}, n)
		f := newTextFrame(payload)
		fin, op, got := readFrame(t, bytes.NewReader(f.data))
		if !fin || op != 1 || !bytes.Equal(got, payload) {
			t.Fatalf("%d bytes: fin %v opcode %d payload of %d bytes", n, fin, op, len(got))
		}
		minimal := map[bool]int{n <= 125: 2, n > 125 && n <= 65535: 4, n > 65535: 10}[true]
		if len(f.data) != minimal+n {
			t.Fatalf("%d bytes: frame of %d bytes, want the %d-byte header", n, len(f.data), minimal)
		}
	}
}

// textFrameAt frames a payload written after the reserved header bytes exactly as
// newTextFrame frames a copy of it.
func TestTextFrameAtMatchesNewTextFrame(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 70000} {
		payload := bytes.Repeat([]byte{'y'}, n)
		b := append(make([]byte, frameHeaderMax), payload...)
		if got, want := textFrameAt(b).data, newTextFrame(payload).data; !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: frame %x…, want %x…", n, got[:min(len(got), 12)], want[:min(len(want), 12)])
		}
	}
}

// TestWriteFramesKeepsOrder writes batches of frames over a real TCP connection, one
// writev each, and reads them back in order.
func TestWriteFramesKeepsOrder(t *testing.T) {
	client, server := tcpPair(t)
	var bufs net.Buffers
	const batches, perBatch = 20, 50
	want := make([]string, 0, batches*perBatch)
	done := make(chan error, 1)
	go func() {
		for b := range batches {
			batch := make([]*frame, 0, perBatch)
			for i := range perBatch {
				// Sizes cross the 125 and 65535 length forms.
				msg := strings.Repeat(string(rune('a'+i%26)), 1+(b*perBatch+i)*37%70000)
				batch = append(batch, newTextFrame([]byte(msg)))
			}
			if err := writeFrames(server, batch, &bufs); err != nil {
				done <- err
				return
			}
			for _, f := range batch {
				if f.data == nil {
					done <- io.ErrUnexpectedEOF
					return
				}
			}
		}
		done <- nil
	}()
	for b := range batches {
		for i := range perBatch {
			want = append(want, strings.Repeat(string(rune('a'+i%26)), 1+(b*perBatch+i)*37%70000))
		}
	}
	for i, w := range want {
		_, _, got := readFrame(t, client)
		if string(got) != w {
			t.Fatalf("frame %d: %d bytes %.10q…, want %d bytes %.10q…", i, len(got), got, len(w), w)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
