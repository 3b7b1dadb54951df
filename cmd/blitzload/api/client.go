package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
)

// Observer receives a Sample for every call.
type Observer interface {
	Observe(stats.Sample)
}

// Client calls the API as one user (or anonymously, with no token).
type Client struct {
	base  string
	http  *http.Client
	user  string
	token string
	obs   Observer
	log   *audit.Log
}

// Config configures a Client.
type Config struct {
	// Base is the server's URL, e.g. "http://127.0.0.1:8080".
	Base string
	// HTTP carries the calls; each fan should have its own (NewHTTPClient).
	HTTP *http.Client
	// User and Token identify the caller; empty for anonymous reads.
	User, Token string
	// Observer, optional, receives a Sample per call.
	Observer Observer
	// Log, optional, receives an audit.Record per state-changing call.
	Log *audit.Log
}

// New returns a client.
func New(cfg Config) *Client {
	hc := cfg.HTTP
	if hc == nil {
		hc = NewHTTPClient(1, 30*time.Second)
	}
	return &Client{base: strings.TrimRight(cfg.Base, "/"), http: hc, user: cfg.User, token: cfg.Token, obs: cfg.Observer, log: cfg.Log}
}

// User returns the caller's user id.
func (c *Client) User() string { return c.user }

// Close drops the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// call is one request to make.
type call struct {
	method, path string
	// endpoint names the route in the stats.
	endpoint string
	body     any
	idemKey  string
	// decision: the call asks a section for a decision.
	decision bool
}

// do sends the call and decodes a 2xx body into out.
func (c *Client) do(ctx context.Context, cl call, out any) Result {
	var body io.Reader
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return Result{Err: fmt.Errorf("%s %s: encode body: %w", cl.method, cl.path, err), Outcome: audit.Refused}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.base+cl.path, body)
	if err != nil {
		return Result{Err: fmt.Errorf("%s %s: %w", cl.method, cl.path, err), Outcome: audit.Refused}
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if cl.idemKey != "" {
		req.Header.Set("Idempotency-Key", cl.idemKey)
	}
	r := Result{Start: time.Now()}
	resp, err := c.http.Do(req)
	if err != nil {
		r.End = time.Now()
		r.Err = fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
		r.Outcome = audit.Unknown
		c.observe(ctx, cl, r)
		return r
	}
	data, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.End = time.Now()
	r.Status = resp.StatusCode
	r.Outcome = audit.Classify(resp.StatusCode)
	if s := resp.Header.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil {
			r.RetryAfter = time.Duration(secs) * time.Second
		}
	}
	switch {
	case readErr != nil:
		r.Err = fmt.Errorf("%s %s: read answer: %w", cl.method, cl.path, readErr)
	case r.OK():
		if out != nil {
			if err := json.Unmarshal(data, out); err != nil {
				r.Err = fmt.Errorf("%s %s: decode answer: %w", cl.method, cl.path, err)
			}
		}
	default:
		var eb errorBody
		if json.Unmarshal(data, &eb) == nil && eb.Error.Code != "" {
			r.Code, r.Message = eb.Error.Code, eb.Error.Message
			r.Seats = detailSeats(eb.Error.Details)
		} else {
			r.Message = strings.TrimSpace(string(data))
			if len(r.Message) > 200 {
				r.Message = r.Message[:200]
			}
		}
	}
	c.observe(ctx, cl, r)
	return r
}

// expectedRefusals are the codes a correct fan can get in a sale.
var expectedRefusals = map[string]bool{
	CodeSeatUnavailable: true, CodeSoldOut: true, CodePaymentDeclined: true, CodeHoldNotActive: true,
	CodeHoldExpired: true, CodeLimitExceeded: true, CodeIdempotency: true,
}

func (c *Client) observe(ctx context.Context, cl call, r Result) {
	if c.obs == nil {
		return
	}
	refusal := r.Status >= 400 && r.Status < 500 && expectedRefusals[r.Code]
	c.obs.Observe(stats.Sample{
		Endpoint:    cl.endpoint,
		Scheduled:   scheduledFrom(ctx),
		Start:       r.Start,
		End:         r.End,
		Status:      r.Status,
		Code:        r.Code,
		Error:       r.Err != nil || (!r.OK() && !refusal),
		Decision:    cl.decision && (r.OK() || refusal),
		DurableHold: cl.method == http.MethodPost && cl.endpoint == EndpointHold && r.Status == http.StatusCreated,
	})
}

// record adds an audit record for a state-changing call.
func (c *Client) record(rec audit.Record, r Result) {
	if c.log == nil {
		return
	}
	rec.User = c.user
	rec.Start, rec.End = r.Start, r.End
	rec.Status, rec.Code, rec.Outcome = r.Status, r.Code, r.Outcome
	if r.OK() && r.Err != nil {
		// Committed, but the answer was unreadable: what it made is unknown.
		rec.Outcome = audit.Unknown
	}
	if !r.OK() || r.Err != nil {
		rec.Error = r.errText()
	}
	c.log.Add(rec)
}

// detailSeats returns details.seats of an error (SEAT_UNAVAILABLE names the seats that
// were taken there).
func detailSeats(details map[string]any) []string {
	list, _ := details["seats"].([]any)
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
