-- Removes stale members from an owner's index (RedisBackend::owned).
-- KEYS[1]: the owner's sorted set. ARGV: a member, the score `owned` read
-- it with, the next member, its score, and so on. Replies how many went.
-- A member whose score changed since was added again by a save of its
-- session (index.lua raises the score on every add): it stays.
local removed = 0
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[i + 1]) then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
