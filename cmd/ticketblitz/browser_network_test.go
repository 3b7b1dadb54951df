package main

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// netEvent is one request or websocket a tab's page started, or an answer it received,
// stamped with the time the test heard of it.
type netEvent struct {
	at     time.Time
	kind   string // "request", "websocket", "response" or "finished"
	id     network.RequestID
	method string
	url    string
}

// netLog records a tab's network traffic as Chromium reports it, in order.
type netLog struct {
	tb     *tab
	mu     sync.Mutex
	events []netEvent
}

// recordNetwork starts recording tb's requests, websockets and answers. Call it before
// the actions that cause them.
func (tb *tab) recordNetwork() *netLog {
	tb.t.Helper()
	l := &netLog{tb: tb}
	err := chromedp.Listen(tb.ctx, func(ev any) {
		e := netEvent{at: time.Now()}
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			e.kind, e.id, e.method, e.url = "request", ev.RequestID, ev.Request.Method, ev.Request.URL
		case *network.EventWebSocketCreated:
			e.kind, e.id, e.url = "websocket", ev.RequestID, ev.URL
		case *network.EventResponseReceived:
			e.kind, e.id, e.url = "response", ev.RequestID, ev.Response.URL
		case *network.EventLoadingFinished:
			e.kind, e.id = "finished", ev.RequestID
		default:
			return
		}
		l.mu.Lock()
		l.events = append(l.events, e)
		l.mu.Unlock()
	})
	if err != nil {
		tb.t.Fatalf("%s: listen to the network: %v", tb.name, err)
	}
	return l
}

// snapshot returns the events recorded so far.
func (l *netLog) snapshot() []netEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]netEvent(nil), l.events...)
}

// method returns the method the page sent request id with ("" when not seen).
func (l *netLog) method(events []netEvent, id network.RequestID) string {
	for _, e := range events {
		if e.kind == "request" && e.id == id {
			return e.method
		}
	}
	return ""
}

// body returns the body of an answer the page received, once it has arrived whole.
func (l *netLog) body(id network.RequestID) string {
	l.tb.t.Helper()
	ctx, cancel := context.WithTimeout(l.tb.ctx, 10*time.Second)
	defer cancel()
	r, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
	if err != nil {
		l.tb.t.Fatalf("%s: the body of %s: %v", l.tb.name, id, err)
	}
	return string(r.Body)
}

// hasPath reports whether a URL's path starts with prefix.
func hasPath(url, prefix string) bool {
	i := strings.Index(url, "://")
	if i < 0 {
		return false
	}
	rest := url[i+3:]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		return strings.HasPrefix(rest[j:], prefix)
	}
	return false
}
