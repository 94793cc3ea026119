--[[
  Records how a dispatched request ended, with its result summary (exit code, bytes, SHA-256, redactions).

  Input:
    KEYS[1] request hash  KEYS[2] idempotency key  KEYS[3] audit stream  KEYS[4] audit chain head
    KEYS[5] in-flight index
    ARGV[1] nowMs  ARGV[2] idempotency ttl ms  ARGV[3] request id  ARGV[4] actor
    ARGV[5] terminal state  ARGV[6] result (JSON)
    ARGV[7] only if idle since (ms) or '': the in-flight sweeper's guard, so a request that made progress after the
            sweeper looked is left alone (code 1, nothing changed)
    ARGV[8] base: the revision (`rev`) the caller already holds, or '' / absent (see includes/common.lua)

  Output: { code, base, recordPart, auditValues }
     0 finished   1 made progress meanwhile (sweeper only)   -1 not found
    -2 that ending is not possible from the current state
]]
local rcall = redis.call
--- @include "includes/common.lua"

-- From `dispatched` nothing ran yet (ExecuteCommand refused) or we lost track; from `running` any ending applies.
local ENDINGS = {
  dispatched = { error = true, interrupted = true, cancelled = true },
  running = { succeeded = true, failed = true, timed_out = true, cancelled = true, interrupted = true },
}
local ctx = {
  key = KEYS[1], idemKey = KEYS[2], stream = KEYS[3], head = KEYS[4],
  now = ARGV[1], ttl = ARGV[2], id = ARGV[3], actor = ARGV[4], action = 'finish', base = ARGV[8] or '',
}
local previous = replayed(ctx)
if previous then
  return previous
end
local record, exists = loadRecord(ctx)
if not exists then
  return reply(ctx, -1, 'not_found', false)
end
local allowed = ENDINGS[record.state]
if ARGV[7] ~= '' then
  local lastProgress = rcall('ZSCORE', KEYS[5], ctx.id)
  if not allowed or not lastProgress or tonumber(lastProgress) > tonumber(ARGV[7]) then
    return respond(ctx, 1, {})
  end
end
if not allowed or not allowed[ARGV[5]] then
  return reply(ctx, -2, 'wrong_state', true, cjson.encode({ wanted = ARGV[5] }))
end
rcall('ZREM', KEYS[5], ctx.id)
return commit(ctx, ARGV[5], { 'result', ARGV[6] }, 'ok', ARGV[6], 0)
