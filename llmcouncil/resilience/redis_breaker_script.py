"""The breaker's rules (``breaker_store.py``) as one Lua script, so each step is one atomic
round trip to Redis (``EVALSHA``) however many instances and tasks call at once.

One hash per breaker (``KEYS[1]``), every field a short string:

- ``st`` state (absent: closed); ``oa`` opened at; ``ps`` probe started at; ``lf``/``le`` the
  last failure's time and error; ``to`` times opened; ``cf`` the streak of failures in send
  order; times are the callers' own strings (``repr(float)``), so they come back unchanged.
- Tickets: ``is`` the last issued; ``t<n>`` the outcome of ticket ``n`` (``1`` failed, ``0``
  succeeded, ``x`` no outcome); ``hs`` the highest settled; ``tf`` the lowest not yet trimmed.
  At most 1024 tickets behind ``hs`` are kept, trimmed one by one as new ones settle.
- The failure-rate window is kept in 21 buckets of ``window / 20`` s (``e<i>`` the bucket's
  number, ``c<i>``/``f<i>`` its calls and failures), so the record stays small at any call
  rate. The window counts whole buckets, the current one and the 20 before it: it looks back
  between ``window`` and 21/20 of it (the in-memory store: exactly ``window``).
  ``wc``/``wf`` are the window's sums at the last outcome (what a view shows).

Every write refreshes the key's TTL (a day): a breaker untouched that long is forgotten.

ARGV[1] names the step. admit: now, force, cooldown, probe_lease. record: now, failed, has
error, error, probe, ticket, consecutive_failures, failure_rate, window, min_calls. release:
ticket, probe. A view is [state, cf, wc, wf, oa, ps, lf, le, to] (false where absent).
"""

SCRIPT = """
local key = KEYS[1]
local op = ARGV[1]
local TTL = 86400
local BUCKETS = 20  -- a bucket is window / 20 s wide ...
local SLOTS = BUCKETS + 1  -- ... and the window is the bucket of now and the 20 before it
local MAX_TICKETS = 1024

local function num(field)
  local value = redis.call('HGET', key, field)
  if value then return tonumber(value) end
  return nil
end

local function view(state)
  local f = redis.call('HMGET', key, 'cf', 'wc', 'wf', 'oa', 'ps', 'lf', 'le', 'to')
  return {state, f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]}
end

local function settle(ticket, mark)
  redis.call('HSET', key, 't' .. ticket, mark)
  local highest = math.max(num('hs') or 0, ticket)
  local streak, current, steps = 0, highest, 0
  while steps < MAX_TICKETS do
    local outcome = redis.call('HGET', key, 't' .. current)
    if (not outcome) or outcome == '0' then break end
    if outcome == '1' then streak = streak + 1 end
    current = current - 1
    steps = steps + 1
  end
  redis.call('HSET', key, 'hs', highest, 'cf', streak)
  local floor = num('tf') or 0
  local horizon = highest - MAX_TICKETS
  if horizon > floor then
    for old = floor, horizon - 1 do redis.call('HDEL', key, 't' .. old) end
    redis.call('HSET', key, 'tf', horizon)
  end
  return streak
end

local function clear_window()
  for slot = 0, SLOTS - 1 do
    redis.call('HDEL', key, 'e' .. slot, 'c' .. slot, 'f' .. slot)
  end
  redis.call('HSET', key, 'wc', 0, 'wf', 0)
end

local function observe(now, failed, window)
  local width = tonumber(window) / BUCKETS
  if redis.call('HGET', key, 'ww') ~= window then  -- the rule changed: start afresh
    clear_window()
    redis.call('HSET', key, 'ww', window)
  end
  local bucket = math.floor(now / width)
  local slot = bucket % SLOTS
  if num('e' .. slot) ~= bucket then
    redis.call('HSET', key, 'e' .. slot, bucket, 'c' .. slot, 0, 'f' .. slot, 0)
  end
  redis.call('HINCRBY', key, 'c' .. slot, 1)
  if failed then redis.call('HINCRBY', key, 'f' .. slot, 1) end
  local fields = {}
  for s = 0, SLOTS - 1 do
    fields[#fields + 1] = 'e' .. s
    fields[#fields + 1] = 'c' .. s
    fields[#fields + 1] = 'f' .. s
  end
  local values = redis.call('HMGET', key, unpack(fields))
  local calls, failures = 0, 0
  for s = 0, SLOTS - 1 do
    local seen = tonumber(values[3 * s + 1])
    if seen and seen >= bucket - BUCKETS then
      calls = calls + tonumber(values[3 * s + 2])
      failures = failures + tonumber(values[3 * s + 3])
    end
  end
  redis.call('HSET', key, 'wc', calls, 'wf', failures)
  return calls, failures
end

if op == 'admit' then
  local state = redis.call('HGET', key, 'st') or 'closed'
  if state == 'closed' then
    local ticket = redis.call('HINCRBY', key, 'is', 1)
    redis.call('EXPIRE', key, TTL)
    return {'allow', ticket, 0}
  end
  local now, force = tonumber(ARGV[2]), ARGV[3] == '1'
  local cooldown, lease = tonumber(ARGV[4]), tonumber(ARGV[5])
  local opened, probing = num('oa'), num('ps')
  local cooled = (opened == nil) or now >= opened + cooldown
  local busy = probing ~= nil and now - probing < lease
  local probe = (state == 'open' and (cooled or force)) or (state == 'half_open' and not busy)
  if not probe then return {'reject', 0, 0, view(state)} end
  redis.call('HSET', key, 'st', 'half_open', 'ps', ARGV[2])
  local ticket = redis.call('HINCRBY', key, 'is', 1)
  redis.call('EXPIRE', key, TTL)
  return {'probe', ticket, cooled and 0 or 1, view('half_open')}
end

if op == 'record' then
  local now, failed, has_error = tonumber(ARGV[2]), ARGV[3] == '1', ARGV[4] == '1'
  local probe, ticket = ARGV[6] == '1', tonumber(ARGV[7])
  local streak_rule, rate_rule = tonumber(ARGV[8]), tonumber(ARGV[9])
  local window, min_calls = ARGV[10], tonumber(ARGV[11])
  local before = redis.call('HGET', key, 'st') or 'closed'
  local state, reason = before, ''
  local calls, failures = observe(now, failed, window)
  local streak = settle(ticket, failed and '1' or '0')
  redis.call('EXPIRE', key, TTL)
  if failed then
    redis.call('HSET', key, 'lf', ARGV[2])
    if has_error then redis.call('HSET', key, 'le', ARGV[5]) else redis.call('HDEL', key, 'le') end
    if before == 'half_open' and probe then
      reason = 'probe_failed'
    elseif before == 'half_open' then
      reason = 'half_open_failed'
    elseif before == 'closed' then
      if streak >= streak_rule then
        reason = 'streak'
      elseif calls >= min_calls and failures / calls >= rate_rule then
        reason = 'rate'
      end
    end
    if reason ~= '' then
      state = 'open'
      redis.call('HSET', key, 'st', 'open', 'oa', ARGV[2])
      redis.call('HDEL', key, 'ps')
      redis.call('HINCRBY', key, 'to', 1)
    end
  else
    if before == 'closed' then return {before, before, ''} end
    if before == 'half_open' and probe then
      reason = 'probe_succeeded'
      state = 'closed'
      redis.call('HDEL', key, 'st', 'oa', 'ps')
      clear_window()
    end
  end
  return {before, state, reason, view(state)}
end

if op == 'release' then
  if redis.call('EXISTS', key) == 0 then return 0 end
  local ticket, probe = tonumber(ARGV[2]), ARGV[3] == '1'
  if ticket ~= 0 then settle(ticket, 'x') end
  if probe and redis.call('HGET', key, 'st') == 'half_open' then
    redis.call('HDEL', key, 'ps')
  end
  redis.call('EXPIRE', key, TTL)
  return 1
end

return redis.error_reply('unknown breaker step ' .. tostring(op))
"""
