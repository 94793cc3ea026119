--[[
  Something that happened to a request without changing it (a stop asked for or refused, an approver reminder):
  only its audit entry. With a marker, it is recorded once: the first caller sets the marker (SET NX) and writes the
  entry, every later caller, on any replica, is told it was already done and writes nothing.

  Input:
    KEYS[1] marker key (read only when ARGV[2] is set)  KEYS[2] audit stream  KEYS[3] audit chain head
    ARGV[1] nowMs  ARGV[2] marker ttl ms, or '' for no marker  ARGV[3] request id  ARGV[4] action  ARGV[5] actor
    ARGV[6] request state  ARGV[7] request version  ARGV[8] outcome  ARGV[9] audit detail (JSON)
    ARGV[10] the policy version the request was decided with, or '' / absent

  Output: { code, base, recordPart, auditValues }
     0 recorded   1 the marker was already set: nothing written
]]
local rcall = redis.call
--- @include "includes/common.lua"

if ARGV[2] ~= '' then
  if not rcall('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return { 1, '', {}, {} }
  end
end
local audit = appendAudit(KEYS[2], KEYS[3], ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[6], ARGV[7], ARGV[8],
  ARGV[9], ARGV[10] or '')
return { 0, '', {}, audit }
