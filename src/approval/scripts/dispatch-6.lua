--[[
  approved -> dispatched: the one step after which ExecuteCommand may be called. Exactly one caller wins; the
  binding digest the caller recomputed from what it is about to run must equal the approved one.

  Input:
    KEYS[1] request hash  KEYS[2] idempotency key  KEYS[3] audit stream  KEYS[4] audit chain head
    KEYS[5] expiry index  KEYS[6] in-flight index (dispatched or running, scored by last progress ms)
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] request id  ARGV[4] dispatcher id
    ARGV[5] binding digest of what is about to run
    ARGV[6] base: the revision (`rev`) the caller already holds, or '' / absent (see includes/common.lua)

  Output: { code, base, recordPart, auditValues }
     0 dispatched (this caller won)
    -1 not found  -2 not approved (another caller won, or it was never approved; not audited: that is a
       replica losing a race, not a decision)  -3 approval expired (request now `expired`)  -7 digest mismatch
]]
local rcall = redis.call
--- @include "includes/common.lua"

local ctx = {
  key = KEYS[1], idemKey = KEYS[2], stream = KEYS[3], head = KEYS[4], expiry = KEYS[5],
  now = ARGV[1], ttl = ARGV[2], id = ARGV[3], actor = ARGV[4], action = 'dispatch', base = ARGV[6] or '',
}
local previous = replayed(ctx)
if previous then
  return previous
end
local record, exists = loadRecord(ctx)
if not exists then
  return reply(ctx, -1, 'not_found', false)
end
if record.state ~= 'approved' then
  return reply(ctx, -2, 'wrong_state', false)
end
if ARGV[5] ~= record.digest then
  return reply(ctx, -7, 'digest_mismatch', true, cjson.encode({ presented = ARGV[5] }))
end
if isExpired(ctx, record) then
  return expireNow(ctx)
end
local approvers = {}
for _, approval in ipairs(cjson.decode(record.approvals)) do
  approvers[#approvers + 1] = approval.userId
end
rcall('ZREM', ctx.expiry, ctx.id)
rcall('ZADD', KEYS[6], ctx.now, ctx.id)
-- One entry answers "who asked, who approved, what ran where, under which rule" (attribution for CloudTrail).
local detail = {
  digest = record.digest, breakGlass = record.breakGlass == '1', requester = record.requester, rule = record.rule,
  cluster = record.cluster, taskArn = record.taskArn, container = record.container,
}
if #approvers > 0 then
  detail.approvers = approvers
end
-- The owner fences what replicas may write about the run (see ownsRun in the store).
return commit(ctx, 'dispatched', { 'owner', ctx.actor }, 'ok', cjson.encode(detail), 0)
