--[[
  Stores a new request and writes its `create` audit entry.

  Input:
    KEYS[1] request hash          KEYS[2] idempotency key     KEYS[3] audit stream   KEYS[4] audit chain head
    KEYS[5] expiry index (zset)   KEYS[6] requester index     KEYS[7] recent index
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] request id  ARGV[4] requester
    ARGV[5] record fields (JSON object of strings, including state and expiresAt)
    ARGV[6] audit detail (JSON)

  Output: { code, recordFlat, auditFlat }
     0 stored
    -9 the id is taken (not remembered: the caller retries with a fresh id under the same idempotency key)
]]
local rcall = redis.call
--- @include "includes/common.lua"

local ctx = {
  key = KEYS[1], idemKey = KEYS[2], stream = KEYS[3], head = KEYS[4], expiry = KEYS[5],
  now = ARGV[1], ttl = ARGV[2], id = ARGV[3], actor = ARGV[4], action = 'create',
}
local previous = replayed(ctx.idemKey)
if previous then
  return previous
end
if rcall('EXISTS', ctx.key) == 1 then
  return { -9, {}, {} }
end

local fields = cjson.decode(ARGV[5])
for name, value in pairs(fields) do
  rcall('HSET', ctx.key, name, value)
end
rcall('HSET', ctx.key, 'version', '1', 'createdAt', ctx.now, 'updatedAt', ctx.now)
local createdAt = tonumber(ctx.now)
rcall('ZADD', ctx.expiry, fields.expiresAt, ctx.id)
rcall('ZADD', KEYS[6], createdAt, ctx.id)
rcall('ZADD', KEYS[7], createdAt, ctx.id)

local audit = appendAudit(ctx.stream, ctx.head, {
  at = ctx.now, requestId = ctx.id, action = 'create', actor = ctx.actor,
  from = 'requested', to = fields.state, version = '1', outcome = 'ok', detail = ARGV[6],
})
return remember(ctx.idemKey, ctx.ttl, { 0, rcall('HGETALL', ctx.key), audit })
