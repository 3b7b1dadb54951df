package persistence

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// gcraLua is redis_rate's GCRA arithmetic (Copyright (c) 2017 Pavel Pravosud,
// https://github.com/rwz/redis-gcra) as Lua functions, for the scripts that charge a
// request to a key: gcraNow reads Redis's clock once per script; gcra spends one
// request of key's allowance (the theoretical arrival time under key) and returns 1,
// "-1" when it is allowed, else 0 and the seconds until a retry may pass. The calling
// script must call redis.replicate_commands() before writing.
const gcraLua = `
local function gcraNow()
  local t = redis.call("TIME")
  return (t[1] - 1483228800) + (t[2] / 1000000)
end

local function gcra(key, burst, rate, period, now)
  local emission_interval = period / rate
  local increment = emission_interval
  local burst_offset = emission_interval * burst
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
    return 0, tostring(-diff)
  end
  local reset_after = new_tat - now
  if reset_after > 0 then
    redis.call("SET", key, new_tat, "EX", math.ceil(reset_after))
  end
  return 1, "-1"
end
`

// allowEach is redis_rate's GCRA script run for every key of KEYS in turn, in one
// call: the same arithmetic (gcraLua), the same state (the theoretical arrival time
// under "rate:"+key), so nodes running either version agree. A key that appears twice
// is charged twice, in order. It returns one integer per key: 0 when it is allowed,
// else the microseconds until a retry may pass (at least 1). Small integers cost the
// reader nothing, where a string per key cost it two allocations.
var allowEach = redis.NewScript(`
redis.replicate_commands()
` + gcraLua + `
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local now = gcraNow()
local out = {}
for i, key in ipairs(KEYS) do
  local allowed, after = gcra(key, burst, rate, period, now)
  if allowed == 1 then
    out[i] = 0
  else
    out[i] = math.max(1, math.ceil(tonumber(after) * 1000000))
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
	if len(v) != len(keys) {
		return nil, fmt.Errorf("rate limit script answered %d values for %d keys", len(v), len(keys))
	}
	out := make([]rateAnswer, len(keys))
	for i := range keys {
		micros, ok := v[i].(int64)
		switch {
		case !ok || micros < 0:
			return nil, fmt.Errorf("rate limit script: answer %v for key %d", v[i], i)
		case micros == 0:
			out[i].allowed = true
		default:
			out[i].retryAfter = time.Duration(micros) * time.Microsecond
		}
	}
	return out, nil
}

// parseRetryAfter reads gcra's seconds until a retry may pass.
func parseRetryAfter(text string) (time.Duration, error) {
	secs, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, fmt.Errorf("rate limit script: retry after %q: %w", text, err)
	}
	return time.Duration(secs * float64(time.Second)), nil
}
