package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// received keeps what a share's handler got.
type received struct {
	mu  sync.Mutex
	got map[string]bool
}

func (r *received) handle(raw []byte) {
	r.mu.Lock()
	r.got[string(raw)] = true
	r.mu.Unlock()
}

func (r *received) has(v string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[v]
}

func startTraceShare(t *testing.T, brokers []string, node string, r *received) *TraceShare {
	t.Helper()
	s, err := NewTraceShare(TraceShareConfig{Brokers: brokers, Node: node, Handler: r.handle, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("trace share of %s: %v", node, err)
		}
	})
	return s
}

// TestTraceShareReachesEveryNode: what one node publishes reaches the other node's
// handler (and its own), once both are reading.
func TestTraceShareReachesEveryNode(t *testing.T) {
	b := testBroker(t, BrokerConfig{})
	r1, r2 := &received{got: map[string]bool{}}, &received{got: map[string]bool{}}
	s1 := startTraceShare(t, b.Addrs(), "n1", r1)
	startTraceShare(t, b.Addrs(), "n2", r2)
	// The readers start at the newest offset once they have joined: publish until a
	// probe comes through to both, then one more record that must.
	testenv.Eventually(t, 30*time.Second, func() error {
		probe := fmt.Sprintf(`{"probe":%d}`, time.Now().UnixNano())
		s1.Publish([]byte(probe))
		return testenv.Try(time.Second, func() error {
			if !r1.has(probe) || !r2.has(probe) {
				return errors.New("a probe has not reached both nodes")
			}
			return nil
		})
	})
	s1.Publish([]byte(`{"type":"batch","node":"n1"}`))
	testenv.Eventually(t, 10*time.Second, func() error {
		if !r2.has(`{"type":"batch","node":"n1"}`) {
			return errors.New("n2 has not received n1's trace")
		}
		return nil
	})
}

func TestNewTraceShareValidates(t *testing.T) {
	if _, err := NewTraceShare(TraceShareConfig{}); err == nil {
		t.Fatal("a share without brokers, node and handler was built")
	}
}
