package api

import (
	"context"
	"net/http"
	"time"

	"github.com/ticketblitz/ticketblitz/client"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/audit"
	"github.com/ticketblitz/ticketblitz/cmd/blitzload/stats"
)

// Observer receives a Sample for every call.
type Observer interface {
	Observe(stats.Sample)
}

// Client calls the API as one user (or anonymously, with no token).
type Client struct {
	api  *client.Client
	user string
	obs  Observer
	log  *audit.Log
}

// Config configures a Client.
type Config struct {
	// Base is the server's URL, e.g. "http://127.0.0.1:8080".
	Base string
	// HTTP carries the calls; each fan should have its own (NewHTTPClient).
	HTTP *http.Client
	// Dial, optional, opens the connections of the client's websockets (FollowQueue);
	// give the one HTTP dials with (HostDial), so that both leave from one host.
	Dial DialFunc
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
	opts := []client.Option{client.WithHTTPClient(hc), client.WithToken(cfg.Token)}
	if cfg.Dial != nil {
		opts = append(opts, client.WithWebSocketDialer(cfg.Dial))
	}
	return &Client{
		api:  client.New(cfg.Base, opts...),
		user: cfg.User,
		obs:  cfg.Observer,
		log:  cfg.Log,
	}
}

// User returns the caller's user id.
func (c *Client) User() string { return c.user }

// API returns the typed client underneath, for calls that need no sample or record.
func (c *Client) API() *client.Client { return c.api }

// Close drops the client's idle connections.
func (c *Client) Close() { c.api.CloseIdleConnections() }

// call runs one typed call, turns how it went into a Result and reports the Sample.
// endpoint names the route in the stats; decision marks calls that ask a section for
// a decision.
func (c *Client) call(ctx context.Context, endpoint string, decision bool, run func(...client.CallOption) error, opts ...client.CallOption) Result {
	var ex client.Exchange
	err := run(append(opts, client.Capture(&ex))...)
	if ex.Start.IsZero() {
		// The request could not even be built: nothing was sent.
		return Result{Err: err, Outcome: audit.Refused}
	}
	r := resultOf(ex, err)
	c.observe(ctx, ex.Method, endpoint, decision, r)
	return r
}

// resultOf describes a sent call: its answer's status and code, or why none arrived.
func resultOf(ex client.Exchange, err error) Result {
	r := Result{Start: ex.Start, End: ex.End, Status: ex.Status}
	if !ex.Answered() {
		r.Err, r.Outcome = err, audit.Unknown
		return r
	}
	r.Outcome = audit.Classify(ex.Status)
	if e, ok := client.AsError(err); ok {
		r.Code, r.Message, r.Seats, r.RetryAfter = string(e.Code), e.Message, e.Seats(), e.RetryAfter
		return r
	}
	// An answer arrived but could not be read or decoded.
	r.Err = err
	return r
}

// expectedRefusals are the codes a correct fan can get in a sale.
var expectedRefusals = map[string]bool{
	CodeSeatUnavailable: true, CodeSoldOut: true, CodePaymentDeclined: true, CodeHoldNotActive: true,
	CodeHoldExpired: true, CodeLimitExceeded: true, CodeIdempotency: true,
}

func (c *Client) observe(ctx context.Context, method, endpoint string, decision bool, r Result) {
	if c.obs == nil {
		return
	}
	refusal := r.Status >= 400 && r.Status < 500 && expectedRefusals[r.Code]
	c.obs.Observe(stats.Sample{
		Endpoint:    endpoint,
		Scheduled:   scheduledFrom(ctx),
		Start:       r.Start,
		End:         r.End,
		Status:      r.Status,
		Code:        r.Code,
		Error:       r.Err != nil || (!r.OK() && !refusal),
		Decision:    decision && (r.OK() || refusal),
		DurableHold: method == http.MethodPost && endpoint == EndpointHold && r.Status == http.StatusCreated,
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
