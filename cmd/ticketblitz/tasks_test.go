package main

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

func TestTasksNameThoseStillRunning(t *testing.T) {
	ts, ctx := newTasks(context.Background())
	release := make(chan struct{})
	ts.Go("relay", func() error { <-release; return nil })
	ts.Go("pruner", func() error { <-ctx.Done(); return nil })
	ts.Go("pruner", func() error { <-ctx.Done(); return nil })
	ts.Go("quick", func() error { return nil })
	running := func(want ...string) {
		t.Helper()
		testenv.Eventually(t, 10*time.Second, func() error {
			if got := ts.Running(); !reflect.DeepEqual(got, want) {
				return fmt.Errorf("running = %v, want %v", got, want)
			}
			return nil
		})
	}
	running("pruner", "relay")
	ts.Go("failing", func() error { return errors.New("boom") }) // cancels ctx: both pruners end
	running("relay")
	close(release)
	if err := ts.Wait(); err == nil || err.Error() != "boom" {
		t.Fatalf("Wait() = %v, want boom", err)
	}
	if got := ts.Running(); len(got) != 0 {
		t.Fatalf("running after Wait = %v, want none", got)
	}
}
