// Package soak runs a long mixed sale on a cluster of node processes with short hold
// TTLs and retention, samples what the cluster keeps over time (rows per table, each
// node's resident memory, the outbox's lag, holds left held past their expiry), then
// kills the node hosting the busiest section with SIGKILL, measures how long each of
// its sections takes to answer again from a survivor, restarts it and audits the whole
// run from the fans' own records.
package soak
