package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	nethttp "net/http"
	"time"

	"go.uber.org/zap"

	"github.com/ticketblitz/ticketblitz/actors"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// devSwitchPoll is how often a dev node reads the switches from its supervisor: a
// switch thrown on one node reaches every other within about this long.
const devSwitchPoll = 250 * time.Millisecond

// devChaos is a node's side of the fault controls of a dev cluster (tbhttp.Chaos): it
// forwards every action to the supervisor, which owns the processes and the broker,
// and applies the delay switches the supervisor holds to this node.
type devChaos struct {
	control  string // the supervisor's control endpoint, host:port
	node     string
	switches *faultSwitches
	client   *nethttp.Client
	log      *zap.Logger
}

func newDevChaos(control, node string, log *zap.Logger) *devChaos {
	return &devChaos{control: control, node: node, switches: &faultSwitches{},
		client: &nethttp.Client{Timeout: 10 * time.Second}, log: log}
}

// State asks the supervisor for the cluster's state.
func (d *devChaos) State(ctx context.Context) (tbhttp.ChaosState, error) {
	return d.call(ctx, nethttp.MethodGet, devControlState, nil)
}

// Apply forwards the action to the supervisor, naming this node as the one that
// received it, and applies the switches it answers here at once.
func (d *devChaos) Apply(ctx context.Context, a tbhttp.ChaosAction) (tbhttp.ChaosState, error) {
	a.Via = d.node
	body, err := json.Marshal(a)
	if err != nil {
		return tbhttp.ChaosState{}, err
	}
	st, err := d.call(ctx, nethttp.MethodPost, devControlApply, body)
	if err != nil {
		return st, err
	}
	d.apply(st.Switches)
	return st, nil
}

// Run keeps this node's switches those of the supervisor until ctx ends.
func (d *devChaos) Run(ctx context.Context) error {
	t := time.NewTicker(devSwitchPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		st, err := d.State(ctx)
		if err != nil {
			continue // the supervisor is gone or busy: keep the switches as they are
		}
		d.apply(st.Switches)
	}
}

// apply sets the switches, logging a change at WARN.
func (d *devChaos) apply(sw tbhttp.ChaosSwitches) {
	if d.switches.set(sw) {
		d.log.Warn("fault switches changed", zap.Int("payment_delay_ms", sw.PaymentDelayMS), zap.Int("store_delay_ms", sw.StoreDelayMS))
	}
}

// call sends one request to the supervisor and decodes its state or its refusal.
func (d *devChaos) call(ctx context.Context, method, path string, body []byte) (tbhttp.ChaosState, error) {
	var st tbhttp.ChaosState
	req, err := nethttp.NewRequestWithContext(ctx, method, "http://"+d.control+path, bytes.NewReader(body))
	if err != nil {
		return st, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := d.client.Do(req)
	if err != nil {
		return st, actors.Unavailable("the dev supervisor does not answer: " + err.Error())
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return st, actors.Unavailable("the dev supervisor's answer: " + err.Error())
	}
	if res.StatusCode != nethttp.StatusOK {
		var e devControlError
		if err := json.Unmarshal(raw, &e); err != nil || e.Code == "" {
			return st, actors.Unavailable(fmt.Sprintf("the dev supervisor answered %d", res.StatusCode))
		}
		return st, &actors.Error{Code: e.Code, Message: e.Message, Fields: e.Fields}
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, actors.Unavailable("the dev supervisor's answer: " + err.Error())
	}
	return st, nil
}

// startDevChaos gives a node of a dev cluster in classroom mode its side of the fault
// controls, running the switches' poll in the server's background; nil elsewhere.
func startDevChaos(s *server, bgCtx context.Context, cfg config) *devChaos {
	if !cfg.Classroom || cfg.DevControl == "" {
		return nil
	}
	d := newDevChaos(cfg.DevControl, cfg.NodeName, s.log.Named("chaos"))
	s.bg.Go("chaos control", func() error { return d.Run(bgCtx) })
	return d
}

// chaosPort is d as the HTTP server's port: a nil interface, not a typed nil, when
// there is none.
func chaosPort(d *devChaos) tbhttp.Chaos {
	if d == nil {
		return nil
	}
	return d
}
