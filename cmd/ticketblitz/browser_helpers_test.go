package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ticketblitz/ticketblitz/internal/testenv"
)

// The browser tests drive Debian's Chromium, headless, against the real binary.

// browserPoll is how often a test asks the page whether something happened: each question
// is a round trip to Chromium, which shares the machine with the server under test.
const browserPoll = 25 * time.Millisecond

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// requireChromium skips (or, with TICKETBLITZ_REQUIRE_SERVICES=1, fails) when Chromium
// is not installed, by the same rule as a missing PostgreSQL or Redis.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Unavailable(t, fmt.Errorf("chromium: apt-get install -y chromium to run the browser tests: %w", err))
	}
}

// browser is one headless Chromium shared by a test's tabs.
type browser struct {
	ctx context.Context
}

// startBrowser starts Chromium with a fresh profile; it stops when the test ends.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	profile := t.TempDir() // before the cleanup below, so the browser is gone when it is removed
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1440, 1000),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{ctx: ctx}
}

// tab is one page in its own browser context (its own sessionStorage and cookies).
type tab struct {
	t      *testing.T
	ctx    context.Context
	name   string
	mu     sync.Mutex
	errors []string
}

// newTab opens a tab of width×height CSS pixels (scale 2 for sharp screenshots) that
// closes when the test ends. Uncaught exceptions in the page fail the test.
func (b *browser) newTab(t *testing.T, name string, width, height int64) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx, name: name}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			tb.mu.Lock()
			tb.errors = append(tb.errors, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber, msg))
			tb.mu.Unlock()
		}
	}()
	tb.do(chromedp.EmulateViewport(width, height, chromedp.EmulateScale(2)))
	t.Cleanup(tb.checkErrors)
	return tb
}

// checkErrors fails the test if the page threw an uncaught exception.
func (tb *tab) checkErrors() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errors {
		tb.t.Errorf("%s: uncaught exception in the page: %s", tb.name, e)
	}
}

// do runs actions with a deadline, failing the test on error.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", tb.name, err)
	}
}

// route moves the page to another hash route without reloading it.
func (tb *tab) route(hash string) {
	tb.t.Helper()
	tb.do(chromedp.Evaluate[chromedp.Void]("location.hash = " + jsString(hash)))
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: evaluate %s: %v", tb.name, expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true, and fails the test with a
// screenshot, the page and its messages when it is not true within d.
func (tb *tab) waitFor(d time.Duration, what, cond string) {
	tb.t.Helper()
	err := testenv.TryEvery(d, browserPoll, func() error {
		if !eval[bool](tb, "!!("+cond+")") {
			return fmt.Errorf("%s: %s: false: %s", tb.name, what, cond)
		}
		return nil
	})
	if err != nil {
		tb.screenshot("timeout-" + slug(what))
		tb.t.Fatalf("%v\npage: %s\nmessages: %s", err,
			eval[string](tb, `location.href + ' "' + document.title + '"'`),
			eval[string](tb, `[...document.querySelectorAll('.msg-text')].map(e => e.textContent).join(' | ')`))
	}
}

// text returns an element's textContent ("" when it is missing).
func (tb *tab) text(selector string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ""`, selector))
}

// screenshot saves a full-page PNG to the artifacts folder.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Logf("%s: screenshot %s: %v", tb.name, name, err)
		return
	}
	path := filepath.Join(artifactsDir(tb.t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Errorf("write screenshot: %v", err)
		return
	}
	tb.t.Logf("screenshot: %s", path)
}

// artifactsDir is $TICKETBLITZ_ARTIFACTS (created if missing) or a temporary folder.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TICKETBLITZ_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts folder: %v", err)
	}
	return dir
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '-'
	}, s)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return fmt.Sprintf("%q", s)
}

// offline lets the tab reach origin only: every request to anywhere else fails as
// blocked, as if the machine had no network, and is recorded. It returns what was
// blocked so far.
func (tb *tab) offline(origin string) func() []string {
	tb.t.Helper()
	var mu sync.Mutex
	var blocked []string
	paused := chromedp.Events(tb.ctx, fetch.RequestPaused)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			var answer error
			if u := ev.Request.URL; u == origin || strings.HasPrefix(u, origin+"/") {
				_, answer = chromedp.Call(tb.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			} else {
				mu.Lock()
				blocked = append(blocked, u)
				mu.Unlock()
				_, answer = chromedp.Call(tb.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
			}
			if answer != nil && tb.ctx.Err() == nil {
				tb.t.Logf("%s: answering a paused request: %v", tb.name, answer)
			}
		}
	}()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		tb.t.Fatalf("%s: intercept requests: %v", tb.name, err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), blocked...)
	}
}
