-- Adds a session to its owner's index (RedisBackend's owner index).
-- KEYS[1]: the owner's sorted set. ARGV[1]: the session's id; ARGV[2]:
-- its record's expiry, ms since the epoch; ARGV[3]: now, ms since the
-- epoch. Replies how many members the set has.
-- A member's score is at least its record's expiry and goes up by at least
-- 1 on every add, so that prune.lua can tell a member added again since
-- `owned` read it (a save that raced the listing) and keep it.
local score = tonumber(ARGV[2])
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if current and tonumber(current) >= score then
  score = tonumber(current) + 1
end
redis.call('ZADD', KEYS[1], string.format('%.0f', score), ARGV[1])
-- Expired members go, and the set expires with its last one.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', tonumber(last[2])))
end
return redis.call('ZCARD', KEYS[1])
