// Package bench is blitzload's side-by-side benchmark: it runs the server once per
// strategy (actor, then lock, then pg; a fresh database each), drives the same hot,
// flash and steady scenarios at the same offered load against each, samples the
// server's memory, measures the machine's raw references (pgbench single-row and
// 100-row updates, redis-benchmark SET NX), and writes the table into a marked section
// of BENCHMARKS.md.
package bench
