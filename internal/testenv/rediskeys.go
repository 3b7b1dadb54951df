package testenv

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// DropRedisKeys deletes every key of the Redis at redisURL that starts with prefix: what
// a test's server left under its own prefix (its leases, rate limits, waiting rooms), so
// that runs of the suite do not pile them up on a shared Redis. An empty prefix deletes
// nothing.
func DropRedisKeys(ctx context.Context, redisURL, prefix string) error {
	if prefix == "" {
		return nil
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return fmt.Errorf("redis url: %w", err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	return DeleteRedisKeys(ctx, rdb, prefix)
}

// DeleteRedisKeys deletes every key that starts with prefix through rdb, a few hundred
// at a time. An empty prefix deletes nothing.
func DeleteRedisKeys(ctx context.Context, rdb *redis.Client, prefix string) error {
	if prefix == "" {
		return nil
	}
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 500 {
			if err := rdb.Unlink(ctx, keys...).Err(); err != nil {
				return err
			}
			keys = keys[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(keys) > 0 {
		return rdb.Unlink(ctx, keys...).Err()
	}
	return nil
}
