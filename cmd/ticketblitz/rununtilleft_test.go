package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// A consumer that leaves its group when its context ends is waited for and closed; one
// stuck in a request to the broker is left behind once the bound has passed, with a
// warning, so that it cannot hold up the node's shutdown.
func TestRunUntilLeftBoundsAStuckConsumer(t *testing.T) {
	t.Run("leaves in time", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var closed atomic.Int32
		want := errors.New("run's own error")
		done := make(chan error, 1)
		go func() {
			done <- runUntilLeft(ctx, zap.NewNop(), time.Minute, func(ctx context.Context) error {
				<-ctx.Done()
				return want
			}, func() error { closed.Add(1); return nil })
		}()
		cancel()
		if err := <-done; !errors.Is(err, want) {
			t.Fatalf("runUntilLeft returned %v, want run's error", err)
		}
		if closed.Load() != 1 {
			t.Fatalf("closed %d times, want once", closed.Load())
		}
	})
	t.Run("stuck", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		core, logs := observer.New(zap.WarnLevel)
		release := make(chan struct{})
		defer close(release)
		done := make(chan error, 1)
		go func() {
			done <- runUntilLeft(ctx, zap.New(core), 50*time.Millisecond, func(context.Context) error {
				<-release // a request the library does not cancel
				return nil
			}, func() error { return nil })
		}()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("runUntilLeft returned %v, want nil once the bound passed", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("runUntilLeft waited for a consumer stuck past its bound")
		}
		if n := logs.FilterMessageSnippet("did not leave its group in time").Len(); n != 1 {
			t.Fatalf("%d warnings about the stuck consumer, want 1", n)
		}
	})
}
