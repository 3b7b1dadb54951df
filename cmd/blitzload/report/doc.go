// Package report renders a run for people and machines: a text report for the
// console, JSON for tools, and an HTML page with latency-over-time, throughput and
// latency-histogram charts (go-echarts).
package report
