//go:build unix

package http

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// acceptedPair returns both ends of a loopback TCP connection, the server's accepted
// through wrapListener as the server accepts its connections.
func acceptedPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wrapped := wrapListener(ln)
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = wrapped.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return server, client
}

// write writes s to c in one call.
func write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
}

// TestFirstByteReadTakesWhatIsThere: the one-byte read that waits for a request takes
// what has arrived, and the read after it gets the rest without reading the socket (a
// deadline already past does not fail it). A bare connection's read fails there.
func TestFirstByteReadTakesWhatIsThere(t *testing.T) {
	server, client := acceptedPair(t)
	const req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	write(t, client, req)

	var one [1]byte
	if n, err := server.Read(one[:]); n != 1 || err != nil || one[0] != 'G' {
		t.Fatalf("one-byte read: %d %q %v", n, one[:n], err)
	}
	time.Sleep(10 * time.Millisecond) // had the rest not been read, it would be there now
	if err := server.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4095)
	n, err := server.Read(buf)
	if err != nil || string(buf[:n]) != req[1:] {
		t.Fatalf("read after it: %d %q %v, want %q", n, buf[:n], err, req[1:])
	}
	// Nothing is left: the next read goes to the socket, and its deadline has passed.
	if _, err := server.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read with nothing pending: %v, want the deadline's error", err)
	}
}

// TestFirstByteReadPendingInParts: what the one-byte read kept is handed out across
// reads smaller than it, in order, and then reads go to the socket again.
func TestFirstByteReadPendingInParts(t *testing.T) {
	server, client := acceptedPair(t)
	write(t, client, "abcdefgh")
	time.Sleep(10 * time.Millisecond)

	var got strings.Builder
	var one [1]byte
	if _, err := server.Read(one[:]); err != nil {
		t.Fatal(err)
	}
	got.Write(one[:])
	part := make([]byte, 3)
	for range 3 {
		n, err := server.Read(part)
		if err != nil {
			t.Fatal(err)
		}
		got.Write(part[:n])
	}
	if got.String() != "abcdefgh" {
		t.Fatalf("read %q, want abcdefgh", got.String())
	}
	write(t, client, "ij")
	rest := make([]byte, 10)
	n, err := server.Read(rest)
	if err != nil || string(rest[:n]) != "ij" {
		t.Fatalf("next read %q %v, want ij", rest[:n], err)
	}
}

// TestFirstByteReadEnds: a one-byte read reports the peer's close as io.EOF and its own
// deadline as a timeout, as a bare connection's read does.
func TestFirstByteReadEnds(t *testing.T) {
	server, client := acceptedPair(t)
	if err := server.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	var one [1]byte
	if _, err := server.Read(one[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("one-byte read past its deadline: %v", err)
	}
	if err := server.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	client.Close()
	if n, err := server.Read(one[:]); n != 0 || err != io.EOF {
		t.Fatalf("one-byte read of a closed peer: %d %v, want io.EOF", n, err)
	}
}

// TestKeepAliveRequestsThroughListener: requests on one keep-alive connection are
// answered whether they come one at a time (each found by the one-byte read of an idle
// connection) or two in one segment.
func TestKeepAliveRequestsThroughListener(t *testing.T) {
	e := newEnv(t)
	addr := strings.TrimPrefix(e.serve(t), "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	const req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	br := bufio.NewReader(conn)
	expectOK := func(what string) {
		t.Helper()
		line, err := br.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Fatalf("%s: %q %v", what, line, err)
		}
		for {
			h, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if h == "\r\n" {
				break
			}
		}
		// /healthz answers a short JSON object; read it up to its end.
		if _, err := br.ReadString('}'); err != nil {
			t.Fatalf("%s: body: %v", what, err)
		}
	}
	for i := range 3 {
		write(t, conn, req)
		expectOK("request " + string(rune('1'+i)))
		time.Sleep(20 * time.Millisecond)
	}
	write(t, conn, req+req)
	expectOK("first of two in one segment")
	expectOK("second of two in one segment")
}

// TestFirstByteWaitHoldsNoChunk: a connection whose one-byte read waits for a request
// holds no buffer while it waits, only once bytes arrived.
func TestFirstByteWaitHoldsNoChunk(t *testing.T) {
	server, client := acceptedPair(t)
	fc, ok := server.(*firstByteConn)
	if !ok {
		t.Fatalf("accepted %T, want *firstByteConn", server)
	}
	read := make(chan error, 1)
	go func() {
		var one [1]byte
		_, err := fc.Read(one[:])
		read <- err
	}()
	time.Sleep(50 * time.Millisecond) // the read is waiting for the socket
	if fc.chunk != nil {
		t.Fatal("a waiting one-byte read holds a chunk")
	}
	write(t, client, "GET")
	if err := <-read; err != nil {
		t.Fatal(err)
	}
	if fc.chunk == nil || string(fc.pending) != "ET" {
		t.Fatalf("after the read: chunk %v, pending %q; want the chunk with ET", fc.chunk != nil, fc.pending)
	}
}
