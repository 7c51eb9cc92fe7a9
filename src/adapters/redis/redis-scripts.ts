// Lua scripts: each runs atomically in Redis, which is what makes "stored and announced, or
// neither" hold for chat, and "highest fence wins" for broadcaster claims.

/**
 * Chat post. KEYS: id counter, message list, epoch, room channel.
 * ARGV: message JSON before the id, after the id, capacity, ttl ms, epoch to use if none.
 * A missing epoch means a new log (first message, or the old one expired or was lost with
 * Redis): ids restart at 1 under a new epoch, so clients know to drop the ids they had.
 */
export const POST_CHAT = `
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = ARGV[5]
  redis.call('SET', KEYS[3], epoch)
  redis.call('DEL', KEYS[1], KEYS[2])
end
local id = redis.call('INCR', KEYS[1])
local msg = ARGV[1] .. id .. ARGV[2]
redis.call('RPUSH', KEYS[2], msg)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('PUBLISH', KEYS[4], '{"t":"chat","e":"' .. epoch .. '","m":' .. msg .. '}')
return {id, epoch}
`;

/**
 * History page. KEYS: id counter, message list, epoch. ARGV: since (-1: the newest), max,
 * epoch to create if none, ttl ms. Returns {epoch, latestId, messages, truncated}.
 */
export const READ_CHAT = `
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[3], epoch, 'PX', ARGV[4])
  redis.call('DEL', KEYS[1], KEYS[2])
end
local latest = tonumber(redis.call('GET', KEYS[1]) or '0')
local len = redis.call('LLEN', KEYS[2])
local oldest = latest - len + 1
local since = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local first
local last
if since < 0 then
  first = math.max(oldest, latest - max + 1)
  last = latest
else
  first = math.max(since + 1, oldest)
  last = math.min(latest, first + max - 1)
end
local items = {}
if first <= last then items = redis.call('LRANGE', KEYS[2], first - oldest, last - oldest) end
local truncated = 0
if since >= 0 and since + 1 < oldest and since < latest then truncated = 1 end
return {epoch, latest, items, truncated}
`;

/**
 * Tombstones messages a moderator removed, in place. KEYS: id counter, message list.
 * ARGV: 'ids' and the ids, or 'through' and the last id. Only what a person said is touched (no
 * kind, not removed yet): its text and ref go, `deleted` is set. Returns how many changed.
 */
export const REDACT_CHAT = `
local latest = tonumber(redis.call('GET', KEYS[1]) or '0')
local len = redis.call('LLEN', KEYS[2])
local oldest = latest - len + 1
local changed = 0
local function redact(id)
  if id == nil or id < oldest or id > latest then return end
  local raw = redis.call('LINDEX', KEYS[2], id - oldest)
  if not raw then return end
  local ok, m = pcall(cjson.decode, raw)
  if not ok or type(m) ~= 'table' or m.id ~= id or m.kind ~= nil or m.deleted ~= nil then return end
  m.text = ''
  m.ref = nil
  m.deleted = true
  redis.call('LSET', KEYS[2], id - oldest, cjson.encode(m))
  changed = changed + 1
end
if ARGV[1] == 'through' then
  for id = oldest, math.min(latest, tonumber(ARGV[2])) do redact(id) end
else
  for i = 2, #ARGV do redact(tonumber(ARGV[i])) end
end
return changed
`;

/** Keeps a watched room's chat from expiring. KEYS: id counter, list, epoch. ARGV: ttl ms. */
export const TOUCH_CHAT = `
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return 1
`;

/**
 * Broadcaster claim. KEYS: claim, fence counter, room channel. ARGV: node, since, lease ms,
 * fence ttl ms. The fence counter outlives any claim, so fences only grow.
 */
export const CLAIM = `
local fence = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local claim = '{"node":"' .. ARGV[1] .. '","fence":' .. fence .. ',"since":' .. ARGV[2] .. '}'
redis.call('SET', KEYS[1], claim, 'PX', ARGV[3])
redis.call('PUBLISH', KEYS[3], '{"t":"claim","c":' .. claim .. '}')
return {fence, claim}
`;

/**
 * Lease renewal. KEYS: claim, fence counter, room channel. ARGV: our claim, lease ms, our
 * fence, fence ttl ms. 1: renewed; 2: restored (Redis had lost it, nobody else claimed since);
 * 0: lost to a newer claim.
 */
export const RENEW = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  return 1
end
if not current then
  local fence = tonumber(redis.call('GET', KEYS[2]) or '0')
  if fence <= tonumber(ARGV[3]) then
    redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    redis.call('PUBLISH', KEYS[3], '{"t":"claim","c":' .. ARGV[1] .. '}')
    return 2
  end
end
return 0
`;

/** Release. KEYS: claim, room channel. ARGV: our claim, node, fence. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', KEYS[2], '{"t":"release","node":"' .. ARGV[2] .. '","fence":' .. ARGV[3] .. '}')
  return 1
end
return 0
`;
