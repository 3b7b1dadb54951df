package latproxy

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// TestProxyDelaysEachDirection echoes a line through the proxy: the round trip takes at
// least twice the delay, and the bytes arrive intact.
func TestProxyDelaysEachDirection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, err := bufio.NewReader(c).ReadString('\n')
		if err == nil {
			_, _ = c.Write([]byte(line))
		}
	}()
	const delay = 20 * time.Millisecond
	p, err := Start("127.0.0.1:0", ln.Addr().String(), delay)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 2*delay {
		t.Errorf("round trip took %v, want at least %v", rtt, 2*delay)
	}
	if got != "hello\n" {
		t.Errorf("echo = %q", got)
	}
}
