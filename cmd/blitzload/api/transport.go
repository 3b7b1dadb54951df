package api

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"time"
)

// DialFunc opens a TCP connection, as net.Dialer.DialContext does.
type DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// NewTransport returns a transport for conns keep-alive connections to one host: one
// per fan gives each fan its own connection, as a browser would.
func NewTransport(conns int) *http.Transport { return NewTransportDial(conns, nil) }

// NewTransportDial is NewTransport dialling with dial (nil: a plain net.Dialer).
func NewTransportDial(conns int, dial DialFunc) *http.Transport {
	if conns < 1 {
		conns = 1
	}
	if dial == nil {
		dial = newDialer(nil).DialContext
	}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         dial,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     5 * time.Minute,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// NewHTTPClient returns a client over its own transport of conns connections; each
// call is bounded by timeout.
func NewHTTPClient(conns int, timeout time.Duration) *http.Client {
	return NewHTTPClientDial(conns, timeout, nil)
}

// NewHTTPClientDial is NewHTTPClient dialling with dial (nil: a plain net.Dialer).
func NewHTTPClientDial(conns int, timeout time.Duration, dial DialFunc) *http.Client {
	return &http.Client{Transport: NewTransportDial(conns, dial), Timeout: timeout}
}

// HostDial returns how the i-th simulated host of a run against target dials: when
// target is an IPv4 loopback address (and the system lets a socket bind a source
// address without a port), from a loopback source address of its own (HostAddr),
// as fans on their own machines would; else nil, a plain dialer. Every connection of
// one load client to one server otherwise shares the source address, and the kernel
// finds each new connection its source port by walking the ports already connected
// to that server: with 10,000 fans connected, a websocket dial cost the client about
// 350 µs of system time, most of it in that walk.
func HostDial(target string, i int) DialFunc {
	if !canBindNoPort || !loopbackTarget(target) {
		return nil
	}
	return newDialer(HostAddr(i)).DialContext
}

// HostAddr is the i-th simulated host's source address: 127.a.b.c with every octet
// from 1 to 254, outside 127.0.0.0/16 where servers listen.
func HostAddr(i int) net.IP {
	const span = 254
	i = max(i, 0)
	return net.IPv4(127, byte(1+i/(span*span)%span), byte(1+i/span%span), byte(1+i%span))
}

// loopbackTarget reports whether target's host is an IPv4 loopback address.
func loopbackTarget(target string) bool {
	u, err := url.Parse(target)
	if err != nil {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.To4() != nil && ip.IsLoopback()
}

// newDialer returns the dialer of the load client's connections, from source when it
// is not nil (its port left to the connect, see bindNoPort).
func newDialer(source net.IP) *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if source != nil {
		d.LocalAddr = &net.TCPAddr{IP: source}
		d.Control = bindNoPort
	}
	return d
}
