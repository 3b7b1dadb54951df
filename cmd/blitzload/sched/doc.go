// Package sched schedules an open-model load: arrivals at fixed times that do not
// depend on how fast the server answers, so a slow server shows up as latency (measured
// from the scheduled time) instead of hiding as fewer requests — the coordinated
// omission a closed loop of callers suffers from.
package sched
