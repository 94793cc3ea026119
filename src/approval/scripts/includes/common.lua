--[[
  Shared by every script (inlined by scripts/index.ts where a script says `--- @include "includes/common.lua"`):
  idempotent replies, request loading, the audit chain append and the guards every click shares.

  Reply shape of every script: { code, base, recordPart, auditValues }
    code         >= 0 done; < 0 refused (see src/approval/errors.ts ApprovalErrorCode)
    base         '' : recordPart is HGETALL of the request after the script ran (empty when there is no request)
                 otherwise the caller's base token (the `rev` it already holds, or for create the new id), and
                 recordPart holds only the name, value pairs this call changed on top of that base
    auditValues  the appended audit entry: the AUDIT_FIELDS values in order, then hash and stream id (empty when
                 nothing was audited)
  Sending only the change keeps the hot path small: a caller that knows the record receives a few fields instead
  of the whole hash, and Redis never reads the fields no guard needs.
]]
--- @include "includes/sha256.lua"

local GENESIS = '0000000000000000000000000000000000000000'
-- Entries written now are version 3 (SHA-256, with the policy version); version 2 (no `policy`) and version 1
-- entries (SHA-1, no `chain` field) stay verifiable.
local AUDIT_CHAIN_VERSION = '3'
-- Same order as AUDIT_FIELDS in src/audit/audit-entry.ts; the chain hash covers these fields in this order.
local AUDIT_FIELDS = { 'seq', 'prev', 'at', 'requestId', 'action', 'actor', 'from', 'to', 'version', 'outcome', 'detail',
  'policy' }
-- Every field a transition may change after create (anything else is fixed at create). A replay from a caller that
-- holds another version rebuilds the first reply's record from these as they were plus the fixed fields as they are.
local MUTABLE_FIELDS = {
  'state', 'version', 'updatedAt', 'rev', 'card', 'approvals', 'breakGlass', 'breakGlassReason', 'deniedBy',
  'denyReason', 'cancelledBy', 'sessionId', 'owner', 'result',
}
-- What the guards and the dispatch entry read, besides the mutable fields; fixed at create. `cardTs` is where records
-- written before card references were opaque keep theirs.
local LOADED_FIELDS = {
  'state', 'version', 'updatedAt', 'rev', 'card', 'cardTs', 'approvals', 'breakGlass', 'breakGlassReason', 'deniedBy',
  'denyReason', 'cancelledBy', 'sessionId', 'result',
  'requester', 'channel', 'digest', 'expiresAt', 'selfApproval', 'breakGlassAllowed', 'requiredCount', 'rule',
  'cluster', 'taskArn', 'container', 'policyVersion',
}

-- A first reply kept for replays is MessagePack: packing it is about half the cost of JSON and it is on every
-- transition's path. A value beginning with '[' was written as JSON by an earlier release (kept ten minutes), so a
-- replay that straddles an upgrade still reads it.
local function packReply(stored)
  return cmsgpack.pack(stored)
end

local function unpackReply(packed)
  if string.byte(packed, 1) == 91 then
    return cjson.decode(packed)
  end
  return cmsgpack.unpack(packed)
end

-- ioredis re-sends unanswered commands after a reconnect; the first reply is kept so a re-send changes nothing.
-- Stored as { code, base, recordPart, auditValues, snapshot, snapshotIsCreateJson }.
local function replayed(ctx)
  local stored = rcall('GET', ctx.idemKey)
  if not stored then
    return nil
  end
  local first = unpackReply(stored)
  if first[2] == '' or first[2] == ctx.base then
    return { first[1], first[2], first[3], first[4] }
  end
  -- The caller holds a different base than the first caller: send the whole record as the first call left it.
  local whole = {}
  if first[6] then
    -- A create: the fields it was sent (JSON) and the ones it added (its change list).
    for name, value in pairs(cjson.decode(first[5])) do
      whole[#whole + 1] = name
      whole[#whole + 1] = value
    end
    for _, value in ipairs(first[3]) do
      whole[#whole + 1] = value
    end
  else
    local mutable = {}
    for _, name in ipairs(MUTABLE_FIELDS) do
      mutable[name] = true
    end
    local current = rcall('HGETALL', ctx.key)
    for i = 1, #current, 2 do
      if not mutable[current[i]] then
        whole[#whole + 1] = current[i]
        whole[#whole + 1] = current[i + 1]
      end
    end
    for _, value in ipairs(first[5]) do
      whole[#whole + 1] = value
    end
  end
  return { first[1], '', whole, first[4] }
end

-- The mutable fields as they are now, as name, value pairs (absent ones left out).
local function mutableSnapshot(record)
  local snapshot = {}
  for _, name in ipairs(MUTABLE_FIELDS) do
    local value = record[name]
    if value then
      snapshot[#snapshot + 1] = name
      snapshot[#snapshot + 1] = value
    end
  end
  return snapshot
end

-- Ends a call: remembers the reply for replays and returns it. `createdJson` (create only) is the JSON of the fields
-- the record was created with; otherwise the mutable fields of ctx.record are kept.
local function respond(ctx, code, audit, createdJson)
  local base = ''
  local part
  if ctx.matches then
    base = ctx.base
    part = ctx.delta or {}
  else
    part = rcall('HGETALL', ctx.key)
  end
  local stored = { code, base, part, audit }
  if base ~= '' then
    stored[5] = createdJson or mutableSnapshot(ctx.record)
    stored[6] = createdJson ~= nil
  end
  rcall('SET', ctx.idemKey, packReply(stored), 'PX', ctx.ttl)
  return { code, base, part, audit }
end

-- Appends one entry linked to the chain head; returns its values in AUDIT_FIELDS order, then hash and stream id.
-- `policy` is the policy version the request was decided with ('' where none is known).
local function appendAudit(stream, head, at, requestId, action, actor, from, to, version, outcome, detail, policy)
  local seq = tostring(rcall('HINCRBY', head, 'seq', 1))
  local prev = rcall('HGET', head, 'hash') or GENESIS
  -- canonicalAuditBytes in src/audit/audit-entry.ts for a version-2 entry, written out: one concatenation is several
  -- times cheaper here. The version leads the hashed bytes, so an entry cannot be passed off as an older version.
  local hash = sha256hex('chain=1:' .. AUDIT_CHAIN_VERSION .. '\nseq=' .. #seq .. ':' .. seq .. '\nprev=' .. #prev .. ':' .. prev
    .. '\nat=' .. #at .. ':' .. at .. '\nrequestId=' .. #requestId .. ':' .. requestId
    .. '\naction=' .. #action .. ':' .. action .. '\nactor=' .. #actor .. ':' .. actor
    .. '\nfrom=' .. #from .. ':' .. from .. '\nto=' .. #to .. ':' .. to
    .. '\nversion=' .. #version .. ':' .. version .. '\noutcome=' .. #outcome .. ':' .. outcome
    .. '\ndetail=' .. #detail .. ':' .. detail .. '\npolicy=' .. #policy .. ':' .. policy .. '\n')
  local streamId = rcall('XADD', stream, '*', 'chain', AUDIT_CHAIN_VERSION, 'seq', seq, 'prev', prev, 'at', at,
    'requestId', requestId,
    'action', action, 'actor', actor, 'from', from, 'to', to, 'version', version, 'outcome', outcome,
    'detail', detail, 'policy', policy, 'hash', hash)
  rcall('HSET', head, 'hash', hash, 'streamId', streamId)
  return { seq, prev, at, requestId, action, actor, from, to, version, outcome, detail, policy, hash, streamId }
end

-- Reads what the guards need into ctx.record; ctx.matches says whether the caller already holds this revision.
local function loadRecord(ctx)
  local values = rcall('HMGET', ctx.key, unpack(LOADED_FIELDS))
  local record = {}
  for i = 1, #LOADED_FIELDS do
    local value = values[i]
    if value then
      record[LOADED_FIELDS[i]] = value
    end
  end
  ctx.record = record
  ctx.matches = ctx.base ~= '' and ctx.base == record.rev
  -- create always writes a version, so a request without one does not exist.
  return record, record.version ~= nil
end

local function isEligible(eligibleJson, userId)
  for _, candidate in ipairs(cjson.decode(eligibleJson)) do
    if candidate == userId or candidate == '*' then
      return true
    end
  end
  return false
end

-- The entry's detail, with where the click came from when it was not a card (see clickGuards).
local function withOrigin(ctx, detail)
  if not ctx.origin then
    return detail or '{}'
  end
  local decoded = cjson.decode(detail or '{}')
  decoded.origin = ctx.origin
  return cjson.encode(decoded)
end

-- Audits the current state of ctx.record for the caller's action.
local function auditAs(ctx, outcome, detail)
  local record = ctx.record
  return appendAudit(ctx.stream, ctx.head, ctx.now, ctx.id, ctx.action, ctx.actor, record.state or '',
    record.state or '', record.version or '0', outcome, withOrigin(ctx, detail), record.policyVersion or '')
end

-- Ends a call without a state change: optionally audits (a refusal leaves the state as it was) and replies.
local function reply(ctx, code, outcome, audited, detail)
  local audit = {}
  if audited then
    audit = auditAs(ctx, outcome, detail)
  end
  return respond(ctx, code, audit)
end

-- Stores name, value pairs with the new version and the hash of the audit entry that records the change as `rev`,
-- and keeps them as the reply's change list. `rev` is what callers send as their base: unlike the version number it
-- cannot repeat for different content, even if a failover loses a write and another replica writes that version again.
local function write(ctx, changes, version, audit)
  local record = ctx.record
  changes[#changes + 1] = 'version'
  changes[#changes + 1] = version
  changes[#changes + 1] = 'updatedAt'
  changes[#changes + 1] = ctx.now
  changes[#changes + 1] = 'rev'
  changes[#changes + 1] = audit[13]
  rcall('HSET', ctx.key, unpack(changes))
  for i = 1, #changes, 2 do
    record[changes[i]] = changes[i + 1]
  end
  ctx.delta = changes
end

local function nextVersion(ctx)
  return tostring(tonumber(ctx.record.version) + 1)
end

-- Stores a state change (version + 1, with the extra name, value pairs in `fields`) and its audit entry in one step.
local function commit(ctx, newState, fields, outcome, detail, code)
  local version = nextVersion(ctx)
  local audit = appendAudit(ctx.stream, ctx.head, ctx.now, ctx.id, ctx.action, ctx.actor, ctx.record.state, newState,
    version, outcome, withOrigin(ctx, detail), ctx.record.policyVersion or '')
  local changes = fields or {}
  changes[#changes + 1] = 'state'
  changes[#changes + 1] = newState
  write(ctx, changes, version, audit)
  return respond(ctx, code or 0, audit)
end

local function isExpired(ctx, record)
  return tonumber(ctx.now) >= tonumber(record.expiresAt)
end

-- The request is past its expiry by the caller's clock (not key TTL): close it as expired, audited, and refuse.
local function expireNow(ctx)
  rcall('ZREM', ctx.expiry, ctx.id)
  return commit(ctx, 'expired', nil, 'expired', '{}', -3)
end

-- Guards shared by approve, deny, cancel and break-glass. Returns a reply to send back, or nil to go on.
-- ARGV[5] expected version, ARGV[6] expected digest, ARGV[7]/ARGV[8] clicked conversation / message reference (the
-- chat adapter's, compared as strings). ARGV[7] is '' only for a call that is no click; a click's conversation comes
-- after a ':' so a click that names no conversation or no message (a forged or truncated payload) is refused like a
-- click on another card, never let through unchecked.
local function clickGuards(ctx, record, exists, allowedStates)
  if not exists then
    return reply(ctx, -1, 'not_found', true)
  end
  if not allowedStates[record.state] then
    return reply(ctx, -2, 'wrong_state', true)
  end
  if ARGV[5] ~= '' and ARGV[5] ~= record.version then
    return reply(ctx, -8, 'version_conflict', true)
  end
  if ARGV[7] == 'home:' then
    -- A click on the person's own Home view: no message to compare, so the binding the view showed is required.
    if ARGV[6] == '' then
      return reply(ctx, -12, 'context_mismatch', true, cjson.encode({ origin = 'home' }))
    end
  elseif ARGV[7] ~= '' then
    local conversation = string.sub(ARGV[7], 2)
    local card = record.card or record.cardTs
    if conversation == '' or ARGV[8] == '' or conversation ~= record.channel or ARGV[8] ~= card then
      return reply(ctx, -12, 'context_mismatch', true,
        cjson.encode({ conversation = conversation, messageRef = ARGV[8] }))
    end
  end
  if ARGV[6] ~= '' and ARGV[6] ~= record.digest then
    return reply(ctx, -7, 'digest_mismatch', true, cjson.encode({ presented = ARGV[6] }))
  end
  if isExpired(ctx, record) then
    return expireNow(ctx)
  end
  return nil
end

-- Takes the key list and the base token as parameters so this shared file never names a KEYS or ARGV slot a script
-- lacks.
local function clickContext(action, keys, base)
  return {
    key = keys[1], idemKey = keys[2], stream = keys[3], head = keys[4], expiry = keys[5],
    now = ARGV[1], ttl = ARGV[2], id = ARGV[3], actor = ARGV[4], action = action, base = base or '',
    origin = (ARGV[7] == 'home:') and 'home' or nil,
  }
end
