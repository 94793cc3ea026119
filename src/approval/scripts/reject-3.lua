--[[
  A request refused by policy or parsing: no record is created, only its audit entry.

  Input:
    KEYS[1] idempotency key  KEYS[2] audit stream  KEYS[3] audit chain head
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] requester  ARGV[4] audit detail (JSON)

  Output: { code, recordFlat, auditFlat }
     0 recorded
]]
local rcall = redis.call
--- @include "includes/common.lua"

local previous = replayed(KEYS[1])
if previous then
  return previous
end
local audit = appendAudit(KEYS[2], KEYS[3], {
  at = ARGV[1], requestId = '', action = 'reject', actor = ARGV[3], from = 'requested', to = 'rejected',
  version = '0', outcome = 'ok', detail = ARGV[4],
})
return remember(KEYS[1], ARGV[2], { 0, {}, audit })
