--[[
  The sweeper's step for one request: closes it as `expired` if it is still waiting (for approval, or approved but
  not dispatched) and its expiry has passed by the caller's clock. Key TTL plays no part: the record must survive
  to be reported.

  Input:
    KEYS[1] request hash  KEYS[2] idempotency key  KEYS[3] audit stream  KEYS[4] audit chain head
    KEYS[5] expiry index
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] request id  ARGV[4] sweeper id
    ARGV[5] base: the revision (`rev`) the caller already holds, or '' / absent (see includes/common.lua)

  Output: { code, base, recordPart, auditValues }
     0 expired now
    -1 not found (index entry dropped)   -2 no longer waiting (index entry dropped)   1 not due yet
]]
local rcall = redis.call
--- @include "includes/common.lua"

local ctx = {
  key = KEYS[1], idemKey = KEYS[2], stream = KEYS[3], head = KEYS[4], expiry = KEYS[5],
  now = ARGV[1], ttl = ARGV[2], id = ARGV[3], actor = ARGV[4], action = 'expire', base = ARGV[5] or '',
}
local previous = replayed(ctx)
if previous then
  return previous
end
local record, exists = loadRecord(ctx)
if not exists then
  rcall('ZREM', ctx.expiry, ctx.id)
  return respond(ctx, -1, {})
end
if record.state ~= 'pending_approval' and record.state ~= 'approved' then
  rcall('ZREM', ctx.expiry, ctx.id)
  return respond(ctx, -2, {})
end
if not isExpired(ctx, record) then
  return respond(ctx, 1, {})
end
rcall('ZREM', ctx.expiry, ctx.id)
return commit(ctx, 'expired', nil, 'ok', '{}', 0)
