// Lua scripts of the channel bus. Each node's shares are absolute counts kept in its share hash
// (entry -> count, see channel-shares.ts); cluster totals are derived from them, and every
// script that changes a share changes the totals in the same atomic step (total += new - old).
// So the totals always equal the sum of the shares, a share written twice counts once, and each
// change of a total across 0 is seen by exactly one script call, hence reported exactly once.
// Keys are not given TTLs: a share leaves when its node sets 0 or when the node is reaped.

/**
 * A node's subscription count of a channel. KEYS: the node's share hash, the app's channel
 * totals, the node set. ARGV: entry, count, channel, node. Returns {total before, total after}.
 */
export const SET_SUBSCRIPTIONS = `
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local new = tonumber(ARGV[2])
local before = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0')
local after = math.max(0, before - old + new)
if new > 0 then redis.call('HSET', KEYS[1], ARGV[1], new) else redis.call('HDEL', KEYS[1], ARGV[1]) end
if after > 0 then redis.call('HSET', KEYS[2], ARGV[3], after) else redis.call('HDEL', KEYS[2], ARGV[3]) end
redis.call('SADD', KEYS[3], ARGV[4])
return {before, after}
`;

/**
 * A node's connection count of a user in a presence channel. KEYS: the node's share hash, the
 * channel's user counts, the channel's member infos, the app's member counts per channel, the
 * node set. ARGV: entry, count, user, info, channel, node. Returns the user's cluster-wide
 * {count before, count after}. The info is the latest given by a node that has the user.
 */
export const SET_PRESENCE = `
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local new = tonumber(ARGV[2])
local before = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0')
local after = math.max(0, before - old + new)
if new > 0 then redis.call('HSET', KEYS[1], ARGV[1], new) else redis.call('HDEL', KEYS[1], ARGV[1]) end
if after > 0 then
  redis.call('HSET', KEYS[2], ARGV[3], after)
  if new > 0 then redis.call('HSET', KEYS[3], ARGV[3], ARGV[4]) end
else
  redis.call('HDEL', KEYS[2], ARGV[3])
  redis.call('HDEL', KEYS[3], ARGV[3])
end
if before == 0 and after > 0 then
  redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
elseif before > 0 and after == 0 then
  if redis.call('HINCRBY', KEYS[4], ARGV[5], -1) <= 0 then redis.call('HDEL', KEYS[4], ARGV[5]) end
end
redis.call('SADD', KEYS[5], ARGV[6])
return {before, after}
`;

/**
 * A node's connection count of an app. KEYS: the node's share hash, the app's counts per node,
 * the node set. ARGV: entry, count, node. Returns the app's cluster total.
 */
export const SET_CONNECTIONS = `
local new = tonumber(ARGV[2])
if new > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], new)
  redis.call('HSET', KEYS[2], ARGV[3], new)
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[3])
end
redis.call('SADD', KEYS[3], ARGV[3])
local total = 0
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do total = total + tonumber(v) end
return total
`;

/**
 * Removes a dead node's shares, once: only while its liveness key is absent, and only by the
 * caller that takes it out of the node set. KEYS: its liveness key, the node set, its share
 * hash. ARGV: the bus key head (RedisKeys.busBase), the node. The keys of the totals are built
 * here from the share entries (the same formats as RedisKeys), which a single Redis allows.
 * Returns {kind, app, channel, user} for each presence member whose cluster count fell to 0
 * (kind 'u') and each channel whose subscription total fell to 0 (kind 'c', user '').
 */
export const REAP = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {} end
if redis.call('SREM', KEYS[2], ARGV[2]) == 0 then return {} end
local base = ARGV[1]
local shares = redis.call('HGETALL', KEYS[3])
local out = {}
for i = 1, #shares, 2 do
  local ok, e = pcall(cjson.decode, shares[i])
  local n = tonumber(shares[i + 1]) or 0
  if ok and type(e) == 'table' then
    local app = e[2]
    if e[1] == 's' then
      local totals = base .. 'subs:' .. app
      if redis.call('HINCRBY', totals, e[3], -n) <= 0 then
        redis.call('HDEL', totals, e[3])
        table.insert(out, {'c', app, e[3], ''})
      end
    elseif e[1] == 'p' then
      local counts = base .. 'presence:' .. app .. ':' .. e[3]
      if redis.call('HINCRBY', counts, e[4], -n) <= 0 then
        redis.call('HDEL', counts, e[4])
        redis.call('HDEL', base .. 'members:' .. app .. ':' .. e[3], e[4])
        local users = base .. 'users:' .. app
        if redis.call('HINCRBY', users, e[3], -1) <= 0 then redis.call('HDEL', users, e[3]) end
        table.insert(out, {'u', app, e[3], e[4]})
      end
    elseif e[1] == 'c' then
      redis.call('HDEL', base .. 'conns:' .. app, ARGV[2])
    end
  end
end
redis.call('DEL', KEYS[3])
return out
`;

/** The data epoch, made if missing (Redis started empty). KEYS: epoch. ARGV: a new epoch. */
export const BUS_EPOCH = `
local epoch = redis.call('GET', KEYS[1])
if epoch then return epoch end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`;
