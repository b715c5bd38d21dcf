-- Compare-and-set of a session record (RedisBackend::update).
-- KEYS[1]: the session's key. ARGV[1]: the new record (Record::encode);
-- ARGV[2]: its expiry, ms since the epoch; ARGV[3]: the expected version,
-- 8 bytes big endian. Replies 1 written, 2 stale, 0 missing, -1 not a
-- record of this id and format.
local head = redis.call('GETRANGE', KEYS[1], 0, 47)
if head == '' then
  return 0
end
-- Magic, format, reserved bytes and id digest: the new record's own.
if #head < 48 or string.sub(head, 1, 40) ~= string.sub(ARGV[1], 1, 40) then
  return -1
end
local found = string.sub(head, 41, 48)
if found == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'XX', 'PXAT', ARGV[2])
  return 1
end
return 2
