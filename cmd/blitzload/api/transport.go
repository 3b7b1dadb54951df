package api

import (
	"net"
	"net/http"
	"time"
)

// NewTransport returns a transport for conns keep-alive connections to one host: one
// per fan gives each fan its own connection, as a browser would.
func NewTransport(conns int) *http.Transport {
	if conns < 1 {
		conns = 1
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
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
	return &http.Client{Transport: NewTransport(conns), Timeout: timeout}
}
