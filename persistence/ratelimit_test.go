package persistence

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

func TestParseRate(t *testing.T) {
	good := []struct {
		in   string
		want redis_rate.Limit
	}{
		{"100/min", redis_rate.Limit{Rate: 100, Burst: 100, Period: time.Minute}},
		{"100/m", redis_rate.Limit{Rate: 100, Burst: 100, Period: time.Minute}},
		{"100/minute", redis_rate.Limit{Rate: 100, Burst: 100, Period: time.Minute}},
		{"5/s", redis_rate.Limit{Rate: 5, Burst: 5, Period: time.Second}},
		{"5/sec", redis_rate.Limit{Rate: 5, Burst: 5, Period: time.Second}},
		{"5/second", redis_rate.Limit{Rate: 5, Burst: 5, Period: time.Second}},
		{"7/h", redis_rate.Limit{Rate: 7, Burst: 7, Period: time.Hour}},
		{"7/hour", redis_rate.Limit{Rate: 7, Burst: 7, Period: time.Hour}},
		{" 3 / MIN ", redis_rate.Limit{Rate: 3, Burst: 3, Period: time.Minute}},
	}
	for _, tc := range good {
		got, err := ParseRate(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ in, mention string }{
		{"", "want <count>/<unit>"},
		{"100", "want <count>/<unit>"},
		{"/min", "positive whole number"},
		{"0/min", "positive whole number"},
		{"-1/min", "positive whole number"},
		{"1.5/min", "positive whole number"},
		{"ten/min", "positive whole number"},
		{"10/day", "unit must be"},
		{"10/", "unit must be"},
		{"10/min/s", "unit must be"},
	}
	for _, tc := range bad {
		_, err := ParseRate(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.mention) || !strings.Contains(err.Error(), tc.in) {
			t.Errorf("ParseRate(%q) error = %v; want one quoting the input and mentioning %q", tc.in, err, tc.mention)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"100/min", "5/s", "1/hour", "0/min", "x/y", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseRate(s)
		if err != nil {
			return
		}
		if l.Rate <= 0 || l.Burst != l.Rate || (l.Period != time.Second && l.Period != time.Minute && l.Period != time.Hour) {
			t.Fatalf("ParseRate(%q) = %v", s, l)
		}
	})
}

func TestRateLimiterSharedAcrossNodes(t *testing.T) {
	rdb, prefix := testRedis(t)
	ctx := context.Background()
	nodeA, err := NewRateLimiter(rdb, prefix, "5/min")
	if err != nil {
		t.Fatal(err)
	}
	nodeB, err := NewRateLimiter(rdb, prefix, "5/min")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		node := nodeA
		if i%2 == 1 {
			node = nodeB
		}
		ok, retry, err := node.Allow(ctx, "alice")
		if err != nil || !ok || retry != 0 {
			t.Fatalf("request %d = %v, %v, %v; want allowed", i+1, ok, retry, err)
		}
	}
	for _, node := range []*RateLimiter{nodeA, nodeB} {
		ok, retry, err := node.Allow(ctx, "alice")
		if err != nil || ok {
			t.Fatalf("6th request = %v, %v; want refused", ok, err)
		}
		if retry <= 0 || retry > 13*time.Second {
			t.Fatalf("retryAfter = %v, want in (0, 12s] (one emission interval of 5/min)", retry)
		}
	}
	ok, _, err := nodeB.Allow(ctx, "bob")
	if err != nil || !ok {
		t.Fatalf("another key = %v, %v; want allowed", ok, err)
	}
	t.Cleanup(func() {
		rdb.Del(context.Background(), "rate:"+prefix+"ratelimit:alice", "rate:"+prefix+"ratelimit:bob")
	})
}

func TestNewRateLimiterRejectsBadRate(t *testing.T) {
	rdb, prefix := testRedis(t)
	if _, err := NewRateLimiter(rdb, prefix, "lots"); err == nil {
		t.Fatal("NewRateLimiter accepted rate \"lots\"")
	}
	if _, err := NewRateLimiter(nil, prefix, "5/min"); err == nil {
		t.Fatal("NewRateLimiter accepted a nil client")
	}
}
