--[[
  Records the posted request card: its conversation (which must be the request's) and the chat adapter's opaque
  reference to the message. Later clicks must come from exactly that message. Re-posting the card moves the binding
  to the new message, so clicks on old copies are refused.

  Input:
    KEYS[1] request hash  KEYS[2] idempotency key  KEYS[3] audit stream  KEYS[4] audit chain head
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] request id  ARGV[4] actor
    ARGV[5] conversation  ARGV[6] message reference
    ARGV[7] base: the revision (`rev`) the caller already holds, or '' / absent (see includes/common.lua)

  Output: { code, base, recordPart, auditValues }
     0 recorded   -1 not found   -2 request already final   -12 conversation differs from the request's channel
]]
local rcall = redis.call
--- @include "includes/common.lua"

local FINAL = {
  rejected = true, succeeded = true, failed = true, timed_out = true, cancelled = true,
  interrupted = true, denied = true, expired = true, error = true,
}
local ctx = {
  key = KEYS[1], idemKey = KEYS[2], stream = KEYS[3], head = KEYS[4],
  now = ARGV[1], ttl = ARGV[2], id = ARGV[3], actor = ARGV[4], action = 'card', base = ARGV[7] or '',
}
local previous = replayed(ctx)
if previous then
  return previous
end
local record, exists = loadRecord(ctx)
if not exists then
  return reply(ctx, -1, 'not_found', false)
end
if FINAL[record.state] then
  return reply(ctx, -2, 'wrong_state', false)
end
if ARGV[5] ~= record.channel then
  return reply(ctx, -12, 'context_mismatch', true, cjson.encode({ conversation = ARGV[5] }))
end
local version = nextVersion(ctx)
local audit = appendAudit(ctx.stream, ctx.head, ctx.now, ctx.id, 'card', ctx.actor, record.state, record.state,
  version, 'ok', cjson.encode({ conversation = ARGV[5], messageRef = ARGV[6] }), record.policyVersion or '')
write(ctx, { 'card', ARGV[6] }, version, audit)
return respond(ctx, 0, audit)
