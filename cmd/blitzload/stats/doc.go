// Package stats measures a load run: HDR latency histograms per endpoint, status and
// error-code counts, per-second buckets for latency over time, the lag between when a
// request was scheduled and when it started (open-model runs), websocket delivery
// latency, and a live console line while the run goes on.
package stats
