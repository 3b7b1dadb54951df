package api

import (
	"context"
	"net"
	"testing"
)

func TestHostAddrDistinctOutsideServers(t *testing.T) {
	seen := map[string]int{}
	for i := range 70000 {
		ip := HostAddr(i).To4()
		if ip[0] != 127 || ip[1] == 0 {
			t.Fatalf("HostAddr(%d) = %v, want 127.a.b.c with a > 0", i, ip)
		}
		for _, o := range ip[1:] {
			if o == 0 || o == 255 {
				t.Fatalf("HostAddr(%d) = %v has an octet of 0 or 255", i, ip)
			}
		}
		if j, ok := seen[ip.String()]; ok {
			t.Fatalf("HostAddr(%d) = HostAddr(%d) = %v", i, j, ip)
		}
		seen[ip.String()] = i
	}
}

func TestHostDialOnlyForLoopback(t *testing.T) {
	for _, target := range []string{"http://10.0.0.7:8080", "http://example.com", "http://[::1]:8080", "http://localhost:8080"} {
		if HostDial(target, 3) != nil {
			t.Errorf("HostDial(%q) is not nil: only an IPv4 loopback target spreads its sources", target)
		}
	}
}

func TestHostDialLeavesFromTheHostsAddress(t *testing.T) {
	if !canBindNoPort {
		t.Skip("no source address per host on this system")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, i := range []int{0, 7, 300, 9999} {
		dial := HostDial("http://"+ln.Addr().String(), i)
		if dial == nil {
			t.Fatal("HostDial of a loopback target is nil")
		}
		c, err := dial(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("dial as host %d: %v", i, err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		got := s.RemoteAddr().(*net.TCPAddr)
		if !got.IP.Equal(HostAddr(i)) || got.Port == 0 {
			t.Errorf("host %d arrived from %v, want %v with a port", i, got, HostAddr(i))
		}
		c.Close()
		s.Close()
	}
}
