package live

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// TestKeptUpConnectionsHaveNoWriterGoroutine opens connections whose clients read
// what they are sent: the senders write their frames themselves, so each connection
// adds its reader's goroutine and no writer.
func TestKeptUpConnectionsHaveNoWriterGoroutine(t *testing.T) {
	le := newLiveEnv(t, liveOptions{})
	const n = 200
	// A first round brings fasthttp's worker pool to its working size.
	warm := make([]*testClient, 0, 20)
	for range 20 {
		warm = append(warm, le.dial(t, "/ws/events/e1", 0))
	}
	for _, c := range warm {
		c.next()
		c.conn.Close()
	}
	testenv.Eventually(t, 20*time.Second, le.wantConnections(0))
	baseline := runtime.NumGoroutine()
	clients := make([]*testClient, 0, n)
	for range n {
		c := le.dial(t, "/ws/events/e1", 0)
		c.next()
		clients = append(clients, c)
	}
	testenv.Eventually(t, 20*time.Second, le.wantSubscribers(n))
	for v := int64(8); v < 12; v++ {
		le.feed.Publish("e1", "A", reservedDelta(v, "A-2"))
	}
	for _, c := range clients {
		for range 4 {
			c.next()
		}
	}
	// A writer started for a socket that could not take a frame ends once its queue
	// is empty; none may be left.
	err := testenv.Try(10*time.Second, func() error {
		if added := runtime.NumGoroutine() - baseline; added > n+n/4 {
			return fmt.Errorf("%d goroutines for %d connections, want about one each", added, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSlowSocketGetsEveryFrameWholeAndInOrder sends frames of every length form to a
// socket whose client does not read yet: what the socket cannot take, a frame cut in
// the middle included, waits for a writer, and the client reads every frame whole, in
// order, once it reads.
func TestSlowSocketGetsEveryFrameWholeAndInOrder(t *testing.T) {
	client, server := tcpPair(t)
	m, err := newConnMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := EndpointConfig{SendBuffer: 1 << 20, WriteWait: time.Minute}.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &conn{raw: server, sys: syscallConn(server), cfg: &cfg, metrics: m.endpoint("test"), stop: make(chan struct{}), inline: true,
		ctx: ctx, cancel: cancel}
	if c.sys == nil {
		t.Skip("no descriptor to write to without blocking on this platform")
	}
	var want []string
	queued := false
	for i := range 400 {
		msg := strings.Repeat(string(rune('a'+i%26)), 1+i*997%70000)
		want = append(want, msg)
		if !c.send(newTextFrame([]byte(msg))) {
			t.Fatalf("frame %d refused", i)
		}
		c.qmu.Lock()
		queued = queued || c.writing
		c.qmu.Unlock()
	}
	if !queued {
		t.Fatal("no frame waited for a writer: the socket took everything, the test tests nothing")
	}
	for i, w := range want {
		_, op, got := readFrame(t, client)
		if op != 1 || string(got) != w {
			t.Fatalf("frame %d: opcode %d, %d bytes %.10q…, want a text frame of %d bytes %.10q…", i, op, len(got), got, len(w), w)
		}
	}
	c.writers.Wait()
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.writing || len(c.queue) != 0 {
		t.Fatalf("writer done with %d frames queued, writing %v", len(c.queue), c.writing)
	}
}

// tcpPair returns both ends of a loopback TCP connection, closed with the test.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close() })
	return client, server
}
