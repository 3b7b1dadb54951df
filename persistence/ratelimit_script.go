package persistence

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// allowEach is redis_rate's GCRA script (Copyright (c) 2017 Pavel Pravosud,
// https://github.com/rwz/redis-gcra) run for every key of KEYS in turn, in one call: the
// same arithmetic, the same state (the theoretical arrival time under "rate:"+key), so
// nodes running either version agree. A key that appears twice is charged twice, in
// order. It returns, per key, 1 (allowed) or 0 and the seconds until a retry may pass.
var allowEach = redis.NewScript(`
redis.replicate_commands()

local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local period = tonumber(ARGV[3])

local emission_interval = period / rate
local increment = emission_interval
local burst_offset = emission_interval * burst

local jan_1_2017 = 1483228800
local now = redis.call("TIME")
now = (now[1] - jan_1_2017) + (now[2] / 1000000)

local out = {}
for i, key in ipairs(KEYS) do
  local tat = redis.call("GET", key)
  if not tat then
    tat = now
  else
    tat = tonumber(tat)
  end
  tat = math.max(tat, now)
  local new_tat = tat + increment
  local allow_at = new_tat - burst_offset
  local diff = now - allow_at
  if diff / emission_interval < 0 then
    out[2 * i - 1] = 0
    out[2 * i] = tostring(-diff)
  else
    local reset_after = new_tat - now
    if reset_after > 0 then
      redis.call("SET", key, new_tat, "EX", math.ceil(reset_after))
    end
    out[2 * i - 1] = 1
    out[2 * i] = "-1"
  end
end
return out
`)

// rateAnswer is one key's verdict.
type rateAnswer struct {
	allowed    bool
	retryAfter time.Duration
}

// runAllowEach spends one request of each key's allowance with one script call.
func runAllowEach(ctx context.Context, rdb *redis.Client, limit redis_rate.Limit, keys []string) ([]rateAnswer, error) {
	v, err := allowEach.Run(ctx, rdb, keys, limit.Burst, limit.Rate, limit.Period.Seconds()).Slice()
	if err != nil {
		return nil, err
	}
	if len(v) != 2*len(keys) {
		return nil, fmt.Errorf("rate limit script answered %d values for %d keys", len(v), len(keys))
	}
	out := make([]rateAnswer, len(keys))
	for i := range keys {
		allowed, _ := v[2*i].(int64)
		if allowed == 1 {
			out[i].allowed = true
			continue
		}
		text, _ := v[2*i+1].(string)
		secs, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("rate limit script: retry after %q: %w", text, err)
		}
		out[i].retryAfter = time.Duration(secs * float64(time.Second))
	}
	return out, nil
}
