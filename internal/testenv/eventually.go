package testenv

import (
	"errors"
	"testing"
	"time"
)

// PollInterval is how often Eventually and Try check.
const PollInterval = 10 * time.Millisecond

// Eventually calls check until it returns nil and returns how long that took. When
// timeout passes first it fails t with check's last error, so the failure says what was
// still wrong, not only that something was.
func Eventually(t testing.TB, timeout time.Duration, check func() error) time.Duration {
	t.Helper()
	return EventuallyEvery(t, timeout, PollInterval, check)
}

// EventuallyEvery is Eventually checking every interval instead of every PollInterval,
// for checks that cost something: a request to a rate-limited route, a round trip to a
// browser.
func EventuallyEvery(t testing.TB, timeout, interval time.Duration, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := check()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("still not so after %v: %v", timeout, err)
		}
		time.Sleep(interval)
	}
}

// Try polls check like Eventually but returns its last error instead of failing, for
// callers that are not tests (benchmarks' setup, TestMain) or that want to go on.
func Try(timeout time.Duration, check func() error) error {
	return TryEvery(timeout, PollInterval, check)
}

// TryEvery is Try checking every interval instead of every PollInterval.
func TryEvery(timeout, interval time.Duration, check func() error) error {
	start := time.Now()
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Since(start) > timeout {
			return errors.Join(errors.New("timed out after "+timeout.String()), err)
		}
		time.Sleep(interval)
	}
}
