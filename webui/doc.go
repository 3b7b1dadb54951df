// Package webui holds the web page: the fan view (events, seat maps, holds, checkout and
// orders) and the visualizer (actors, batches, leases, Kafka events, flash sales). It is
// plain HTML, CSS and JavaScript modules with no build step, embedded into the binary and
// served at "/" by the command; it talks to the server only through the public API and
// websockets of docs/api.md.
package webui
