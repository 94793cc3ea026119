--[[
  Records the channel and ts of the posted request card; later clicks must come from exactly that message.
  Re-posting the card moves the binding to the new message, so clicks on old copies are refused.

  Input:
    KEYS[1] request hash  KEYS[2] idempotency key  KEYS[3] audit stream  KEYS[4] audit chain head
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] request id  ARGV[4] actor
    ARGV[5] channel  ARGV[6] message ts

  Output: { code, recordFlat, auditFlat }
     0 recorded   -1 not found   -2 request already final   -12 channel differs from the request's channel
]]
local rcall = redis.call
--- @include "includes/common.lua"

local FINAL = {
  rejected = true, succeeded = true, failed = true, timed_out = true, cancelled = true,
  interrupted = true, denied = true, expired = true, error = true,
}
local ctx = {
  key = KEYS[1], idemKey = KEYS[2], stream = KEYS[3], head = KEYS[4],
  now = ARGV[1], ttl = ARGV[2], id = ARGV[3], actor = ARGV[4], action = 'card',
}
local previous = replayed(ctx.idemKey)
if previous then
  return previous
end
local record, exists = loadRecord(ctx.key)
if not exists then
  return reply(ctx, -1, 'not_found', record, false)
end
if FINAL[record.state] then
  return reply(ctx, -2, 'wrong_state', record, false)
end
if ARGV[5] ~= record.channel then
  return reply(ctx, -12, 'context_mismatch', record, true, cjson.encode({ channel = ARGV[5] }))
end
local version = tostring(tonumber(record.version) + 1)
rcall('HSET', ctx.key, 'cardTs', ARGV[6], 'version', version, 'updatedAt', ctx.now)
local audit = appendAudit(ctx.stream, ctx.head, {
  at = ctx.now, requestId = ctx.id, action = 'card', actor = ctx.actor, from = record.state, to = record.state,
  version = version, outcome = 'ok', detail = cjson.encode({ channel = ARGV[5], messageTs = ARGV[6] }),
})
return remember(ctx.idemKey, ctx.ttl, { 0, rcall('HGETALL', ctx.key), audit })
