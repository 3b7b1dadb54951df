package scenario

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/api"
)

// BarePath is the bare reference server's one route besides /healthz: a POST with a
// JSON body, answered from a map.
const BarePath = "/bare/queue"

// bareBody is what each fan sends the bare reference.
var bareBody = []byte(`{"section_id":"hot","quantity":2}`)

// runBare starts the bare reference and rushes it with cfg.Fans fresh fans, each on
// its own warm keep-alive connection with its own token, at one instant.
func runBare(ctx context.Context, env *Env, cfg Config) (BareResult, error) {
	if env.Bare == nil {
		return BareResult{}, errors.New("no bare reference server in this build")
	}
	base, stop, err := env.Bare(ctx)
	if err != nil {
		return BareResult{}, fmt.Errorf("start: %w", err)
	}
	defer stop()
	type bareFan struct {
		hc  *http.Client
		tok string
	}
	fans := make([]bareFan, cfg.Fans)
	errs := make([]error, cfg.Fans)
	parallelFor(cfg.Fans, 64, func(i int) {
		tok, err := env.Tokens.Token(ctx, fmt.Sprintf("bl-%s-b-%d", env.RunID, i))
		if err != nil {
			errs[i] = err
			return
		}
		fans[i] = bareFan{hc: api.NewFanHTTPClient(cfg.Timeout, nil), tok: tok}
		errs[i] = bareCall(ctx, fans[i].hc, http.MethodGet, base+"/healthz", "", nil)
	})
	defer func() {
		for _, f := range fans {
			if f.hc != nil {
				f.hc.CloseIdleConnections()
			}
		}
	}()
	if err := errors.Join(errs...); err != nil {
		return BareResult{}, fmt.Errorf("warm-up: %w", err)
	}
	lat := make([]time.Duration, cfg.Fans)
	ends := make([]time.Time, cfg.Fans)
	failed := make([]bool, cfg.Fans)
	barrier := make(chan struct{})
	done := make(chan struct{}, cfg.Fans)
	for i, f := range fans {
		go func() {
			<-barrier
			start := time.Now()
			failed[i] = bareCall(ctx, f.hc, http.MethodPost, base+BarePath, f.tok, bareBody) != nil
			ends[i] = time.Now()
			lat[i] = ends[i].Sub(start)
			done <- struct{}{}
		}()
	}
	start := time.Now()
	close(barrier)
	for range fans {
		<-done
	}
	var out BareResult
	var ok []time.Duration
	var last time.Time
	for i := range fans {
		if failed[i] {
			out.Errors++
			continue
		}
		out.Answers++
		ok = append(ok, lat[i])
		if ends[i].After(last) {
			last = ends[i]
		}
	}
	out.Latency = spreadOf(ok)
	if d := last.Sub(start); d > 0 {
		out.AnswersPerS = float64(out.Answers) / d.Seconds()
	}
	return out, nil
}

// bareCall sends one request and reads its answer; any status but 2xx is an error.
func bareCall(ctx context.Context, hc *http.Client, method, url, token string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: status %d", method, url, resp.StatusCode)
	}
	return nil
}
