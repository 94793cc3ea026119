--[[
  One approver's Approve click: counts it when every guard passes, and moves the request to `approved` once the
  rule's count of distinct eligible approvers is reached.

  Input:
    KEYS[1] request hash  KEYS[2] idempotency key  KEYS[3] audit stream  KEYS[4] audit chain head
    KEYS[5] expiry index
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] request id  ARGV[4] approver user id
    ARGV[5] expected version or ''  ARGV[6] expected binding digest or ''
    ARGV[7] '' for a call that is no click, 'home:' for a click on the person's Home view (ARGV[6] then required),
      else ':' .. clicked channel   ARGV[8] clicked message ts
    ARGV[9] eligible approver ids resolved at click time (JSON array; '*' = anyone)
    ARGV[10] base: the revision (`rev`) the caller already holds, or '' / absent (see includes/common.lua)

  Output: { code, base, recordPart, auditValues }
     0 approved (count reached)      1 counted, more approvals needed
    -1 not found   -2 not pending   -3 expired (the request is now `expired`)   -4 requester may not approve
    -5 not eligible   -6 already approved by this user   -7 digest mismatch   -8 version conflict
    -12 click from another channel or message
  Every outcome except a replay is audited.
]]
local rcall = redis.call
--- @include "includes/common.lua"

local ctx = clickContext('approve', KEYS, ARGV[10])
local previous = replayed(ctx)
if previous then
  return previous
end
local record, exists = loadRecord(ctx)
local refused = clickGuards(ctx, record, exists, { pending_approval = true })
if refused then
  return refused
end

if ctx.actor == record.requester and record.selfApproval ~= '1' then
  return reply(ctx, -4, 'self_approval', true)
end
if not isEligible(ARGV[9], ctx.actor) then
  return reply(ctx, -5, 'not_eligible', true)
end
local approvals = cjson.decode(record.approvals)
local approvers = {}
for _, approval in ipairs(approvals) do
  if approval.userId == ctx.actor then
    return reply(ctx, -6, 'already_approved', true)
  end
  approvers[#approvers + 1] = approval.userId
end
approvals[#approvals + 1] = { userId = ctx.actor, atMs = tonumber(ctx.now) }
approvers[#approvers + 1] = ctx.actor

local needed = tonumber(record.requiredCount)
local detail = cjson.encode({ approvers = approvers, needed = needed })
if #approvals >= needed then
  return commit(ctx, 'approved', { 'approvals', cjson.encode(approvals) }, 'ok', detail, 0)
end
return commit(ctx, 'pending_approval', { 'approvals', cjson.encode(approvals) }, 'ok', detail, 1)
