// Package serverproc builds and runs the TicketBlitz server as a child process for
// benchmarks and end-to-end tests: a fresh database, a free port, readiness polling,
// memory sampling and a clean stop. It talks to the server only as an operator would
// (environment, signals, /readyz).
package serverproc
