package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
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
func hasPath(raw, prefix string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.HasPrefix(u.Path, prefix)
}

// exchange is one HTTP request of the page and, once it has arrived whole, its answer.
type exchange struct {
	id       network.RequestID
	method   string
	url      string
	sent     time.Time
	finished time.Time // zero while the answer is on its way
}

// exchanges returns the page's requests whose method is method and whose path starts
// with prefix, in the order sent.
func (l *netLog) exchanges(method, prefix string) []exchange {
	events := l.snapshot()
	var out []exchange
	for _, e := range events {
		if e.kind == "request" && e.method == method && hasPath(e.url, prefix) {
			out = append(out, exchange{id: e.id, method: e.method, url: e.url, sent: e.at})
		}
	}
	for i := range out {
		for _, e := range events {
			if e.kind == "finished" && e.id == out[i].id {
				out[i].finished = e.at
			}
		}
	}
	return out
}

// websockets returns when the page created each websocket whose path starts with prefix.
func (l *netLog) websockets(prefix string) []netEvent {
	var out []netEvent
	for _, e := range l.snapshot() {
		if e.kind == "websocket" && hasPath(e.url, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// waitAnswer waits until the page's last request of method to a path starting with
// prefix has its answer, and returns it.
func (l *netLog) waitAnswer(d time.Duration, method, prefix string) exchange {
	l.tb.t.Helper()
	var last exchange
	err := testenv.TryEvery(d, browserPoll, func() error {
		ex := l.exchanges(method, prefix)
		if len(ex) == 0 {
			return fmt.Errorf("%s: no %s %s yet", l.tb.name, method, prefix)
		}
		if last = ex[len(ex)-1]; last.finished.IsZero() {
			return fmt.Errorf("%s: the answer to %s %s is on its way", l.tb.name, method, last.url)
		}
		return nil
	})
	if err != nil {
		l.tb.t.Fatal(err)
	}
	return last
}

// breakWebsockets makes every websocket the tab's pages open to a path starting with
// prefix fail, as behind a proxy that lets no websocket through: such a websocket goes
// to a listener that closes each connection at once (Chromium's request blocking lets
// websockets through). It takes effect from the next page loaded.
func (tb *tab) breakWebsockets(prefix string) {
	tb.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	script := `(() => {
  const Native = window.WebSocket;
  const Broken = function (url, protocols) {
    const u = new URL(url, location.href);
    if (u.pathname.startsWith(` + jsString(prefix) + `)) u.port = ` + jsString(port) + `;
    return new Native(u.href, protocols);
  };
  Broken.prototype = Native.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Broken[k] = Native[k];
  window.WebSocket = Broken;
})();`
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
		tb.t.Fatalf("%s: break the websockets: %v", tb.name, err)
	}
}
