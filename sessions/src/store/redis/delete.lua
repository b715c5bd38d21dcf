-- Deletes a session (RedisBackend::delete) and replies what its key held:
-- {1 if there was a value, else 0; the value's bytes 0 to ARGV[1]}. Those
-- bytes are the record's header, whose owner names the index to leave.
-- A value that is not a string (never a record) is deleted all the same.
local head = redis.pcall('GETRANGE', KEYS[1], 0, ARGV[1])
if type(head) ~= 'string' then
  head = ''
end
return {redis.call('DEL', KEYS[1]), head}
