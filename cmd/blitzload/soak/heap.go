package soak

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// heapMetric is the Go collector's heap in use, in bytes, on each node's /metrics.
const heapMetric = "go_memstats_heap_inuse_bytes"

// heapInUse reads heapMetric from the node at base and returns it in KiB.
func heapInUse(ctx context.Context, hc *http.Client, base string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("metrics: status %d", resp.StatusCode)
	}
	return parseHeapInUse(bufio.NewScanner(resp.Body))
}

// parseHeapInUse finds heapMetric's sample in Prometheus text and returns it in KiB.
func parseHeapInUse(sc *bufio.Scanner) (int64, error) {
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), heapMetric+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return 0, fmt.Errorf("metrics: %s: %w", heapMetric, err)
		}
		return int64(v / 1024), nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	return 0, fmt.Errorf("metrics: no %s", heapMetric)
}
