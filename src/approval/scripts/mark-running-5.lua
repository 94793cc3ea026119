--[[
  dispatched -> running once the exec session exists.

  Input:
    KEYS[1] request hash  KEYS[2] idempotency key  KEYS[3] audit stream  KEYS[4] audit chain head
    KEYS[5] in-flight index
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] request id  ARGV[4] actor  ARGV[5] session id
    ARGV[6] base: the revision (`rev`) the caller already holds, or '' / absent (see includes/common.lua)

  Output: { code, base, recordPart, auditValues }
     0 running   -1 not found   -2 not dispatched
]]
local rcall = redis.call
--- @include "includes/common.lua"

local ctx = {
  key = KEYS[1], idemKey = KEYS[2], stream = KEYS[3], head = KEYS[4],
  now = ARGV[1], ttl = ARGV[2], id = ARGV[3], actor = ARGV[4], action = 'running', base = ARGV[6] or '',
}
local previous = replayed(ctx)
if previous then
  return previous
end
local record, exists = loadRecord(ctx)
if not exists then
  return reply(ctx, -1, 'not_found', false)
end
if record.state ~= 'dispatched' then
  return reply(ctx, -2, 'wrong_state', true)
end
rcall('ZADD', KEYS[5], ctx.now, ctx.id)
return commit(ctx, 'running', { 'sessionId', ARGV[5] }, 'ok', cjson.encode({ sessionId = ARGV[5] }), 0)
