--[[
  Shared by every script (inlined by scripts/index.ts where a script says `--- @include "includes/common.lua"`):
  idempotent replies, request loading, the audit chain append and the guards every click shares.

  Reply shape of every script: { code, recordFlat, auditFlat }
    code        >= 0 done; < 0 refused (see src/approval/errors.ts ApprovalErrorCode)
    recordFlat  HGETALL of the request after the script ran (empty when there is no request)
    auditFlat   the appended audit entry as name, value pairs plus 'streamId' (empty when nothing was audited)
]]
local GENESIS = string.rep('0', 40)
-- Same order as AUDIT_FIELDS in src/audit/audit-entry.ts; the chain hash covers these fields in this order.
local AUDIT_FIELDS = { 'seq', 'prev', 'at', 'requestId', 'action', 'actor', 'from', 'to', 'version', 'outcome', 'detail' }

-- ioredis re-sends unanswered commands after a reconnect; the first reply is kept so a re-send changes nothing.
local function replayed(idemKey)
  local stored = rcall('GET', idemKey)
  if stored then
    return cjson.decode(stored)
  end
  return nil
end

local function remember(idemKey, ttlMs, reply)
  rcall('SET', idemKey, cjson.encode(reply), 'PX', ttlMs)
  return reply
end

-- Appends one entry linked to the chain head. `values` maps field name to string.
local function appendAudit(streamKey, headKey, values)
  local seq = rcall('HINCRBY', headKey, 'seq', 1)
  local prev = rcall('HGET', headKey, 'hash')
  if not prev then
    prev = GENESIS
  end
  values.seq = tostring(seq)
  values.prev = prev
  local canonical = {}
  local args = {}
  for _, name in ipairs(AUDIT_FIELDS) do
    local value = values[name] or ''
    canonical[#canonical + 1] = name .. '=' .. #value .. ':' .. value .. '\n'
    args[#args + 1] = name
    args[#args + 1] = value
  end
  local hash = redis.sha1hex(table.concat(canonical))
  args[#args + 1] = 'hash'
  args[#args + 1] = hash
  local streamId = rcall('XADD', streamKey, '*', unpack(args))
  rcall('HSET', headKey, 'hash', hash, 'streamId', streamId)
  args[#args + 1] = 'streamId'
  args[#args + 1] = streamId
  return args
end

local function loadRecord(key)
  local flat = rcall('HGETALL', key)
  local record = {}
  for i = 1, #flat, 2 do
    record[flat[i]] = flat[i + 1]
  end
  return record, #flat > 0
end

local function isEligible(eligibleJson, userId)
  for _, candidate in ipairs(cjson.decode(eligibleJson)) do
    if candidate == userId or candidate == '*' then
      return true
    end
  end
  return false
end

-- Ends a call: optionally audits (a refusal leaves the state as it was), remembers and returns the reply.
local function reply(ctx, code, outcome, record, audited, detail)
  local audit = {}
  if audited then
    audit = appendAudit(ctx.stream, ctx.head, {
      at = ctx.now, requestId = ctx.id, action = ctx.action, actor = ctx.actor,
      from = record.state or '', to = record.state or '', version = record.version or '0',
      outcome = outcome, detail = detail or '{}',
    })
  end
  return remember(ctx.idemKey, ctx.ttl, { code, rcall('HGETALL', ctx.key), audit })
end

-- Stores a state change (version + 1) and its audit entry in one step.
local function commit(ctx, record, newState, fields, outcome, detail, code)
  local version = tostring(tonumber(record.version) + 1)
  rcall('HSET', ctx.key, 'state', newState, 'version', version, 'updatedAt', ctx.now)
  if fields then
    for name, value in pairs(fields) do
      rcall('HSET', ctx.key, name, value)
    end
  end
  local audit = appendAudit(ctx.stream, ctx.head, {
    at = ctx.now, requestId = ctx.id, action = ctx.action, actor = ctx.actor,
    from = record.state, to = newState, version = version, outcome = outcome, detail = detail or '{}',
  })
  return remember(ctx.idemKey, ctx.ttl, { code or 0, rcall('HGETALL', ctx.key), audit })
end

local function isExpired(ctx, record)
  return tonumber(ctx.now) >= tonumber(record.expiresAt)
end

-- The request is past its expiry by the caller's clock (not key TTL): close it as expired, audited, and refuse.
local function expireNow(ctx, record)
  rcall('ZREM', ctx.expiry, ctx.id)
  return commit(ctx, record, 'expired', nil, 'expired', '{}', -3)
end

-- Guards shared by approve, deny, cancel and break-glass. Returns a reply to send back, or nil to go on.
-- ARGV[5] expected version, ARGV[6] expected digest, ARGV[7]/ARGV[8] clicked channel / message ts ('' = unchecked).
local function clickGuards(ctx, record, exists, allowedStates)
  if not exists then
    return reply(ctx, -1, 'not_found', record, true)
  end
  if not allowedStates[record.state] then
    return reply(ctx, -2, 'wrong_state', record, true)
  end
  if ARGV[5] ~= '' and ARGV[5] ~= record.version then
    return reply(ctx, -8, 'version_conflict', record, true)
  end
  if ARGV[7] ~= '' and (ARGV[7] ~= record.channel or ARGV[8] ~= record.cardTs) then
    return reply(ctx, -12, 'context_mismatch', record, true,
      cjson.encode({ channel = ARGV[7], messageTs = ARGV[8] }))
  end
  if ARGV[6] ~= '' and ARGV[6] ~= record.digest then
    return reply(ctx, -7, 'digest_mismatch', record, true, cjson.encode({ presented = ARGV[6] }))
  end
  if isExpired(ctx, record) then
    return expireNow(ctx, record)
  end
  return nil
end

-- Takes the key list as a parameter so this shared file never names a KEYS slot a 4-key script lacks.
local function clickContext(action, keys)
  return {
    key = keys[1], idemKey = keys[2], stream = keys[3], head = keys[4], expiry = keys[5],
    now = ARGV[1], ttl = ARGV[2], id = ARGV[3], actor = ARGV[4], action = action,
  }
end
