package main

import (
	"encoding/json"
	"errors"
	"net"
	nethttp "net/http"
	"time"

	"github.com/ticketblitz/ticketblitz/actors"
	tbhttp "github.com/ticketblitz/ticketblitz/http"
)

// The dev supervisor's control endpoint, on loopback, for its own nodes only: GET
// devControlState answers the tbhttp.ChaosState, POST devControlApply carries out the
// tbhttp.ChaosAction of its body and answers the state after it, or devControlError.
const (
	devControlState = "/state"
	devControlApply = "/apply"
)

// devControlError is the control endpoint's answer to an action it refused: a domain
// error, which the node answers its caller as it is.
type devControlError struct {
	Code    actors.Code       `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// devControl is the running control endpoint.
type devControl struct {
	ln  net.Listener
	srv *nethttp.Server
}

// Addr is where the nodes reach it.
func (c *devControl) Addr() net.Addr { return c.ln.Addr() }

// Close stops it.
func (c *devControl) Close() { _ = c.srv.Close() }

// startDevControl serves the supervisor's control endpoint on a free loopback port.
func startDevControl(sup *devSupervisor) (*devControl, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := nethttp.NewServeMux()
	mux.HandleFunc("GET "+devControlState, func(w nethttp.ResponseWriter, _ *nethttp.Request) {
		writeControlJSON(w, nethttp.StatusOK, sup.state())
	})
	mux.HandleFunc("POST "+devControlApply, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		var a tbhttp.ChaosAction
		if err := json.NewDecoder(nethttp.MaxBytesReader(w, r.Body, 64<<10)).Decode(&a); err != nil {
			writeControlJSON(w, nethttp.StatusBadRequest, devControlError{Code: actors.CodeValidation, Message: "bad action: " + err.Error()})
			return
		}
		st, err := sup.apply(r.Context(), a)
		var de *actors.Error
		switch {
		case errors.As(err, &de):
			writeControlJSON(w, nethttp.StatusConflict, devControlError{Code: de.Code, Message: de.Message, Fields: de.Fields})
		case err != nil:
			writeControlJSON(w, nethttp.StatusConflict, devControlError{Code: actors.CodeUnavailable, Message: err.Error()})
		default:
			writeControlJSON(w, nethttp.StatusOK, st)
		}
	})
	srv := &nethttp.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &devControl{ln: ln, srv: srv}, nil
}

func writeControlJSON(w nethttp.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
