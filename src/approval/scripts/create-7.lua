--[[
  Stores a new request and writes its `create` audit entry.

  Input:
    KEYS[1] request hash          KEYS[2] idempotency key     KEYS[3] audit stream   KEYS[4] audit chain head
    KEYS[5] expiry index (zset)   KEYS[6] requester index     KEYS[7] recent index
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] request id  ARGV[4] requester
    ARGV[5] audit detail (JSON)
    ARGV[6] base: the request id when the caller keeps the fields it sends, else '' (see includes/common.lua)
    ARGV[7] record fields (JSON object of strings, including state and expiresAt)

  Output: { code, base, recordPart, auditValues }
     0 stored
    -9 the id is taken (not remembered: the caller retries with a fresh id under the same idempotency key)
]]
local rcall = redis.call
--- @include "includes/common.lua"

local ctx = {
  key = KEYS[1], idemKey = KEYS[2], stream = KEYS[3], head = KEYS[4], expiry = KEYS[5],
  now = ARGV[1], ttl = ARGV[2], id = ARGV[3], actor = ARGV[4], action = 'create', base = ARGV[6],
}
local previous = replayed(ctx)
if previous then
  return previous
end
if rcall('EXISTS', ctx.key) == 1 then
  return { -9, '', {}, {} }
end

local fields = cjson.decode(ARGV[7])
local audit = appendAudit(ctx.stream, ctx.head, ctx.now, ctx.id, 'create', ctx.actor, 'requested', fields.state, '1',
  'ok', ARGV[5], fields.policyVersion or '')
-- `rev` as every later write sets it (see write in includes/common.lua).
local added = { 'version', '1', 'createdAt', ctx.now, 'updatedAt', ctx.now, 'rev', audit[13] }
local flat = { unpack(added) }
for name, value in pairs(fields) do
  flat[#flat + 1] = name
  flat[#flat + 1] = value
end
rcall('HSET', ctx.key, unpack(flat))
local createdAt = tonumber(ctx.now)
rcall('ZADD', ctx.expiry, fields.expiresAt, ctx.id)
rcall('ZADD', KEYS[6], createdAt, ctx.id)
rcall('ZADD', KEYS[7], createdAt, ctx.id)

ctx.matches = ctx.base == ctx.id
ctx.delta = added
return respond(ctx, 0, audit, ARGV[7])
