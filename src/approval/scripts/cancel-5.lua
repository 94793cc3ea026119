--[[
  Cancel before dispatch, by the requester or by someone who could approve: the request becomes `cancelled`.
  (After dispatch the executor stops the session and calls finish-4 with `cancelled`.)

  Input:
    KEYS[1] request hash  KEYS[2] idempotency key  KEYS[3] audit stream  KEYS[4] audit chain head
    KEYS[5] expiry index
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] request id  ARGV[4] user id
    ARGV[5] expected version or ''  ARGV[6] expected binding digest or ''
    ARGV[7] '' for a call that is no click, 'home:' for a click on the person's Home view (ARGV[6] then required),
      else ':' .. clicked channel   ARGV[8] clicked message ts
    ARGV[9] eligible approver ids (JSON array)
    ARGV[10] base: the revision (`rev`) the caller already holds, or '' / absent (see includes/common.lua)

  Output: { code, base, recordPart, auditValues }
     0 cancelled
    -1 not found  -2 already dispatched or final  -3 expired  -5 neither requester nor eligible
    -7 digest mismatch  -8 version conflict  -12 click from another channel or message
]]
local rcall = redis.call
--- @include "includes/common.lua"

local ctx = clickContext('cancel', KEYS, ARGV[10])
local previous = replayed(ctx)
if previous then
  return previous
end
local record, exists = loadRecord(ctx)
local refused = clickGuards(ctx, record, exists, { pending_approval = true, approved = true })
if refused then
  return refused
end
if ctx.actor ~= record.requester and not isEligible(ARGV[9], ctx.actor) then
  return reply(ctx, -5, 'not_eligible', true)
end
rcall('ZREM', ctx.expiry, ctx.id)
return commit(ctx, 'cancelled', { 'cancelledBy', ctx.actor }, 'ok', '{}', 0)
