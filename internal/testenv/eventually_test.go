package testenv

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTryReturnsTheLastError(t *testing.T) {
	calls := 0
	err := Try(30*time.Millisecond, func() error {
		calls++
		return fmt.Errorf("attempt %d", calls)
	})
	if err == nil || calls < 2 {
		t.Fatalf("Try = %v after %d calls, want a timeout after several", err, calls)
	}
	if want := fmt.Sprintf("attempt %d", calls); !strings.Contains(err.Error(), want) {
		t.Fatalf("Try = %q, want it to name the last error %q", err, want)
	}
}

func TestEventuallyStopsWhenTheCheckPasses(t *testing.T) {
	calls := 0
	Eventually(t, time.Second, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if calls != 3 {
		t.Fatalf("check ran %d times, want 3", calls)
	}
}

func TestServicesCheckNamesWhatIsMissing(t *testing.T) {
	err := Services{RedisURL: "redis://127.0.0.1:1/0"}.Check()
	if err == nil || !strings.Contains(err.Error(), "redis") {
		t.Fatalf("Check of a closed port = %v, want a redis error", err)
	}
	if err := (Services{}).Check(); err != nil {
		t.Fatalf("Check of nothing = %v", err)
	}
}

func TestTryEveryWaitsTheInterval(t *testing.T) {
	calls := 0
	start := time.Now()
	err := TryEvery(time.Second, 50*time.Millisecond, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("TryEvery = %v after %d calls, want nil after 3", err, calls)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("three checks 50ms apart took %v, want at least 100ms", took)
	}
}
