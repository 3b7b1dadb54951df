package actors

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// TestClientLocationsStayBounded locates far more holds than the cache keeps, as a
// long sale does: the cache stays at its bound, and the heap it holds stays under
// 4 MiB (it held 100,000 entries, about 25 MiB, before the bound was cut), while a
// location just added is still found without a lookup.
func TestClientLocationsStayBounded(t *testing.T) {
	cfg := ClientConfig{}.withDefaults()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	located, err := newLocationCache(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{cfg: cfg, located: located}
	lookups := 0
	lookup := func(_ context.Context, id string) (SectionKey, string, error) {
		lookups++
		return SectionKey{EventID: "ev_0123456789ab", SectionID: "S1"}, "user-" + id, nil
	}
	n := 10 * cfg.LocateCache
	for i := range n {
		if _, err := c.locate(context.Background(), fmt.Sprintf("hold_%020d", i), lookup); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.located.Len(); got > cfg.LocateCache {
		t.Fatalf("%d locations cached after %d, want at most %d", got, n, cfg.LocateCache)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 4<<20 {
		t.Errorf("the location cache holds %d KiB, want under 4 MiB", grew>>10)
	}
	runtime.KeepAlive(c)
	if _, err := c.locate(context.Background(), fmt.Sprintf("hold_%020d", n-1), lookup); err != nil || lookups != n {
		t.Errorf("the last location was looked up again (%d lookups for %d ids, %v)", lookups, n, err)
	}
}
