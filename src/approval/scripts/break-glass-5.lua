--[[
  The requester runs without approval where the matching rule allows break-glass; a reason is mandatory and the
  audit entry is marked so the audit channel can announce it.

  Input:
    KEYS[1] request hash  KEYS[2] idempotency key  KEYS[3] audit stream  KEYS[4] audit chain head
    KEYS[5] expiry index
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] request id  ARGV[4] user id
    ARGV[5] expected version or ''  ARGV[6] expected binding digest or ''
    ARGV[7] '' for a call that is no click, 'home:' for a click on the person's Home view (ARGV[6] then required),
      else ':' .. clicked channel   ARGV[8] clicked message ts
    ARGV[9] reason
    ARGV[10] base: the revision (`rev`) the caller already holds, or '' / absent (see includes/common.lua)

  Output: { code, base, recordPart, auditValues }
     0 approved by break-glass
    -1 not found  -2 not pending  -3 expired  -7 digest mismatch  -8 version conflict
    -10 not the requester, or the rule does not allow break-glass  -11 no reason given
    -12 click from another channel or message
]]
local rcall = redis.call
--- @include "includes/common.lua"

local ctx = clickContext('break_glass', KEYS, ARGV[10])
local previous = replayed(ctx)
if previous then
  return previous
end
local record, exists = loadRecord(ctx)
local refused = clickGuards(ctx, record, exists, { pending_approval = true })
if refused then
  return refused
end
if ctx.actor ~= record.requester or record.breakGlassAllowed ~= '1' then
  return reply(ctx, -10, 'break_glass_not_allowed', true)
end
local reason = string.gsub(ARGV[9], '^%s*(.-)%s*$', '%1')
if reason == '' then
  return reply(ctx, -11, 'reason_required', true)
end
return commit(ctx, 'approved', { 'breakGlass', '1', 'breakGlassReason', reason }, 'ok',
  cjson.encode({ breakGlass = true, reason = reason }), 0)
