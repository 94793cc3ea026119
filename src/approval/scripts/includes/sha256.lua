--[[
  SHA-256 (FIPS 180-4) for the audit chain: Redis's Lua offers only redis.sha1hex, and the entry must be hashed in
  the same script that appends it. Built on Redis's `bit` library (32-bit operations); sums of several 32-bit words
  stay exact in Lua's doubles and are brought back to 32 bits with bit.tobit.

  sha256hex(message) -> 64 lowercase hex digits
]]
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local rshift, lshift, ror, tobit, tohex = bit.rshift, bit.lshift, bit.ror, bit.tobit, bit.tohex
local sbyte, schar, srep = string.byte, string.char, string.rep

local SHA256_K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

-- The message length in bits as 8 big-endian bytes; lengths here are far below 2^53 bits.
local function bitLength(bytes)
  local bits = bytes * 8
  local high = math.floor(bits / 4294967296)
  local low = bits % 4294967296
  local out = {}
  for i = 3, 0, -1 do out[#out + 1] = band(rshift(high, i * 8), 255) end
  for i = 3, 0, -1 do out[#out + 1] = band(rshift(low, i * 8), 255) end
  return schar(unpack(out))
end

local function sha256hex(message)
  local length = #message
  local padding = (64 - (length + 9) % 64) % 64
  local data = message .. '\128' .. srep('\0', padding) .. bitLength(length)
  local h0, h1, h2, h3 = 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a
  local h4, h5, h6, h7 = 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  local w = {}
  for chunk = 1, #data, 64 do
    for t = 1, 16 do
      local i = chunk + (t - 1) * 4
      local b1, b2, b3, b4 = sbyte(data, i, i + 3)
      w[t] = bor(lshift(b1, 24), lshift(b2, 16), lshift(b3, 8), b4)
    end
    for t = 17, 64 do
      local w15, w2 = w[t - 15], w[t - 2]
      local s0 = bxor(ror(w15, 7), ror(w15, 18), rshift(w15, 3))
      local s1 = bxor(ror(w2, 17), ror(w2, 19), rshift(w2, 10))
      w[t] = tobit(w[t - 16] + s0 + w[t - 7] + s1)
    end
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for t = 1, 64 do
      local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
      local ch = bxor(band(e, f), band(bnot(e), g))
      local temp1 = h + S1 + ch + SHA256_K[t] + w[t]
      local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
      local maj = bxor(band(a, b), band(a, c), band(b, c))
      h, g, f, e = g, f, e, tobit(d + temp1)
      d, c, b, a = c, b, a, tobit(temp1 + S0 + maj)
    end
    h0, h1, h2, h3 = tobit(h0 + a), tobit(h1 + b), tobit(h2 + c), tobit(h3 + d)
    h4, h5, h6, h7 = tobit(h4 + e), tobit(h5 + f), tobit(h6 + g), tobit(h7 + h)
  end
  return tohex(h0, 8) .. tohex(h1, 8) .. tohex(h2, 8) .. tohex(h3, 8)
    .. tohex(h4, 8) .. tohex(h5, 8) .. tohex(h6, 8) .. tohex(h7, 8)
end
