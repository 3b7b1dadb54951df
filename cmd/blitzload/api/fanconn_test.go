package api

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fanServer is a test server that counts the connections it accepted and the calls
// of each path; a path in closeFirst is answered only from its second call on, the
// first one's connection closed without a byte.
type fanServer struct {
	*httptest.Server
	conns      atomic.Int64
	mu         sync.Mutex
	calls      map[string]int
	closeFirst map[string]bool
	release    chan struct{}
}

func newFanServer(t *testing.T, closeFirst ...string) *fanServer {
	s := &fanServer{calls: map[string]int{}, closeFirst: map[string]bool{}, release: make(chan struct{})}
	for _, p := range closeFirst {
		s.closeFirst[p] = true
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}

func (s *fanServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls[r.URL.Path]++
	n := s.calls[r.URL.Path]
	s.mu.Unlock()
	switch {
	case s.closeFirst[r.URL.Path] && n == 1:
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			c.Close()
		}
		return
	case r.URL.Path == "/slow":
		<-s.release
	}
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, r.Method+" "+r.URL.Path+" "+string(body)+" key="+r.Header.Get("Idempotency-Key"))
}

func (s *fanServer) callsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// fanCall sends one call and returns its answer's body.
func fanCall(t *testing.T, hc *http.Client, ctx context.Context, method, url, body, key string) (string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d", method, url, resp.StatusCode)
	}
	return string(data), err
}

func TestFanClientKeepsOneConnection(t *testing.T) {
	s := newFanServer(t)
	hc := NewFanHTTPClient(10*time.Second, nil)
	defer hc.CloseIdleConnections()
	ctx := context.Background()
	for i, c := range []struct{ method, path, body, key, want string }{
		{"GET", "/a", "", "", "GET /a  key="},
		{"POST", "/b", `{"q":2}`, "k1", `POST /b {"q":2} key=k1`},
		{"POST", "/c", "", "", "POST /c  key="},
		{"GET", "/a", "", "", "GET /a  key="},
	} {
		got, err := fanCall(t, hc, ctx, c.method, s.URL+c.path, c.body, c.key)
		if err != nil || got != c.want {
			t.Fatalf("call %d: %q, %v; want %q", i, got, err, c.want)
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("%d connections for four calls one after the other, want 1 kept alive", n)
	}
}

func TestFanClientRunsNoGoroutinePerConnection(t *testing.T) {
	s := newFanServer(t)
	ctx := context.Background()
	const fans = 50
	clients := make([]*http.Client, fans)
	for i := range clients {
		clients[i] = NewFanHTTPClient(10*time.Second, nil)
		if _, err := fanCall(t, clients[i], ctx, "GET", s.URL+"/warm", "", ""); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, hc := range clients {
			hc.CloseIdleConnections()
		}
	}()
	// The server runs a goroutine per connection; the clients' side should add none.
	// http.Transport would add two per connection (its reading and writing loops).
	before := runtime.NumGoroutine()
	serverSide := int(s.conns.Load())
	if before > serverSide+fans/2+10 {
		t.Errorf("%d goroutines with %d idle fan connections (the server runs %d): the clients keep goroutines per connection", before, fans, serverSide)
	}
}

func TestFanClientDialsAgainAfterTheServerClosed(t *testing.T) {
	s := newFanServer(t)
	hc := NewFanHTTPClient(10*time.Second, nil)
	hc.Transport.(*fanTransport).idleCheck = 0
	defer hc.CloseIdleConnections()
	ctx := context.Background()
	if _, err := fanCall(t, hc, ctx, "GET", s.URL+"/a", "", ""); err != nil {
		t.Fatal(err)
	}
	s.CloseClientConnections()
	// A POST without a key is never sent twice: the idle connection must be found
	// closed before it is sent. The close reaches the client a moment later.
	deadline := time.Now().Add(10 * time.Second)
	for connAlive(hc.Transport.(*fanTransport).conn, nil) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got, err := fanCall(t, hc, ctx, "POST", s.URL+"/join", "", "")
	if err != nil || got != "POST /join  key=" {
		t.Fatalf("POST after the server closed the idle connection: %q, %v", got, err)
	}
	if n := s.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestFanClientSendsAgainOnlyWhatMayBeSentAgain(t *testing.T) {
	s := newFanServer(t, "/hold", "/join", "/read")
	hc := NewFanHTTPClient(10*time.Second, nil)
	defer hc.CloseIdleConnections()
	ctx := context.Background()
	if _, err := fanCall(t, hc, ctx, "GET", s.URL+"/warm", "", ""); err != nil {
		t.Fatal(err)
	}
	got, err := fanCall(t, hc, ctx, "POST", s.URL+"/hold", `{"n":1}`, "k")
	if err != nil || got != `POST /hold {"n":1} key=k` || s.callsOf("/hold") != 2 {
		t.Errorf("POST with an Idempotency-Key whose reused connection closed unanswered: %q, %v after %d calls; want it sent again, body and all", got, err, s.callsOf("/hold"))
	}
	if got, err := fanCall(t, hc, ctx, "GET", s.URL+"/read", "", ""); err != nil || got != "GET /read  key=" || s.callsOf("/read") != 2 {
		t.Errorf("GET whose reused connection closed unanswered: %q, %v after %d calls; want it sent again", got, err, s.callsOf("/read"))
	}
	if _, err := fanCall(t, hc, ctx, "POST", s.URL+"/join", "", ""); err == nil || s.callsOf("/join") != 1 {
		t.Errorf("POST without a key whose connection closed unanswered: %v after %d calls; want an error and no second call", err, s.callsOf("/join"))
	}
	if got, err := fanCall(t, hc, ctx, "GET", s.URL+"/after", "", ""); err != nil || got != "GET /after  key=" {
		t.Errorf("the call after a failed one: %q, %v", got, err)
	}
}

func TestFanClientTimeoutAndCancel(t *testing.T) {
	s := newFanServer(t)
	hc := NewFanHTTPClient(50*time.Millisecond, nil)
	defer hc.CloseIdleConnections()
	ctx := context.Background()
	if _, err := fanCall(t, hc, ctx, "GET", s.URL+"/slow", "", ""); !errors.Is(err, errFanTimeout) {
		t.Errorf("a call past the timeout: %v, want errFanTimeout", err)
	}
	hc2 := NewFanHTTPClient(0, nil)
	defer hc2.CloseIdleConnections()
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := fanCall(t, hc2, cctx, "GET", s.URL+"/slow", "", "")
		done <- err
	}()
	for s.callsOf("/slow") < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a call whose context ended: %v, want context.Canceled", err)
	}
	if got, err := fanCall(t, hc2, ctx, "GET", s.URL+"/a", "", ""); err != nil || got != "GET /a  key=" {
		t.Errorf("the call after a cancelled one: %q, %v", got, err)
	}
}

func TestFanClientDropsAConnectionWhoseBodyWasNotRead(t *testing.T) {
	s := newFanServer(t)
	hc := NewFanHTTPClient(10*time.Second, nil)
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(s.URL + "/a")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got, err := fanCall(t, hc, context.Background(), "GET", s.URL+"/b", "", "")
	if err != nil || got != "GET /b  key=" {
		t.Fatalf("the call after an unread body: %q, %v", got, err)
	}
	if n := s.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2: an unread answer leaves the connection unusable", n)
	}
}
