package testenv

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestDropRedisKeysDeletesOnlyThePrefix(t *testing.T) {
	url := RedisURL()
	Require(t, Services{RedisURL: url})
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	prefix := fmt.Sprintf("tb:testenv_%d:", os.Getpid())
	other := fmt.Sprintf("tb:testenv_%d_other:", os.Getpid())
	// Deferred after Close, so run before it.
	defer rdb.Del(context.Background(), other+"k")
	// More keys than two of DropRedisKeys's batches.
	for i := range 1203 {
		if err := rdb.Set(ctx, fmt.Sprintf("%sk%d", prefix, i), "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.Set(ctx, other+"k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := DropRedisKeys(ctx, url, prefix); err != nil {
		t.Fatal(err)
	}
	left, err := rdb.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d keys left under %s", len(left), prefix)
	}
	if n, err := rdb.Exists(ctx, other+"k").Result(); err != nil || n != 1 {
		t.Errorf("the key of another prefix: exists %d, %v; want it kept", n, err)
	}
	if err := DropRedisKeys(ctx, url, ""); err != nil {
		t.Errorf("an empty prefix: %v", err)
	}
	if n, _ := rdb.Exists(ctx, other+"k").Result(); n != 1 {
		t.Error("an empty prefix deleted a key")
	}
}
