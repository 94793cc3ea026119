--[[
  A request refused by policy or parsing: no record is created, only its audit entry.

  Input:
    KEYS[1] idempotency key  KEYS[2] audit stream  KEYS[3] audit chain head
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] requester  ARGV[4] audit detail (JSON)
    ARGV[5] the policy version that refused it, or '' / absent

  Output: { code, base, recordPart, auditValues }
     0 recorded (recordPart always empty)
]]
local rcall = redis.call
--- @include "includes/common.lua"

local ctx = { idemKey = KEYS[1], base = '' }
local previous = replayed(ctx)
if previous then
  return previous
end
local audit = appendAudit(KEYS[2], KEYS[3], ARGV[1], '', 'reject', ARGV[3], 'requested', 'rejected', '0', 'ok',
  ARGV[4], ARGV[5] or '')
local answer = { 0, '', {}, audit }
rcall('SET', KEYS[1], packReply(answer), 'PX', ARGV[2])
return answer
