// The Lua scripts of the Redis session store (redis-sessions.ts; key layout there and in
// docs/accounting.md): each updates a session, its indexes, the claims and the bucket's Stream
// atomically, in one round trip, on one cluster slot.
import type { RedisClient } from "./redis-cluster.js";

// Atomicity: Redis runs a script to its end. Out of memory, it refuses a script's first write and
// lets a script that has written finish (no partial write); the record script does all its reads
// and checks before its first write. A record travels as one JSON argument: converting arguments
// into Lua strings is what a script costs most, so the stream entry and the session hash hold
// the record as JSON.
//
// Shared by the scripts below: close one live session (member m, session key sk).
const CLOSE_FN = `
local function close_session(bp, sk, m, reason, at, retain, stream, maxlen)
  local nas, sid, user = string.match(m, '^([^\\n]*)\\n([^\\n]*)\\n(.*)$')
  redis.call('HSET', sk, 'status', 'closed', 'sp', '1', 'closedAt', at, 'closeReason', reason)
  redis.call('EXPIRE', sk, retain)
  redis.call('SREM', bp .. 'u:' .. user, m)
  redis.call('SREM', bp .. 'n:' .. nas, m)
  redis.call('ZREM', bp .. 'live', m)
  local rec = cjson.encode({ kind = 'close', nas = nas, sessionId = sid, user = user, reason = reason, eventTime = tonumber(at) })
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'kind', 'close', 'rec', rec)
end
`;

/**
 * Start / Interim-Update / Stop. KEYS: session, user set, NAS set, live zset, stream, claims.
 * ARGV: kind, member, fingerprint, eventTime, staleDeadline, retainSeconds, maxlen, now,
 * startGuess, fingerprintsKept, record JSON. Returns 1 stored, 0 duplicate.
 */
const RECORD_LUA = `
local kind, member, fp, json = ARGV[1], ARGV[2], ARGV[3], ARGV[11]
local t = tonumber(ARGV[4])
local h = redis.call('HMGET', KEYS[1], 'st', 'sp', 'fps', 'updatedAt')
local st, sp, fps, upd = h[1], h[2], h[3], h[4]
if kind == 'start' and st then return 0 end
if kind == 'stop' and sp then return 0 end
if kind == 'interim' and fps then
  for x in string.gmatch(fps, '%S+') do if x == fp then return 0 end end
end
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[7], '*', 'kind', kind, 'rec', json)
local exists = upd ~= false
-- Everything this record changes in the session hash goes into one HSET.
local set, c = {}, 0
local function put(k, v) set[c + 1] = k; set[c + 2] = v; c = c + 2 end
if kind == 'interim' then
  local list, m = {}, 0
  if fps then for x in string.gmatch(fps, '%S+') do m = m + 1; list[m] = x end end
  m = m + 1
  list[m] = fp
  local from = m - tonumber(ARGV[10]) + 1
  if from < 1 then from = 1 end
  put('fps', table.concat(list, ' ', from, m))
end
-- 'first': the record that describes the session's start (its Start, else the one that opened it).
if kind == 'start' then put('st', '1'); put('startedAt', ARGV[4]); put('first', json) end
if not exists then
  if kind ~= 'start' then put('startedAt', ARGV[9]); put('first', json) end
  put('status', 'live')
  upd = ARGV[4]
end
if sp then
  -- A late record of a closed session: history and retransmission state only.
  if c > 0 then redis.call('HSET', KEYS[1], unpack(set)) end
  return 1
end
-- 'rec': the latest record (a reordered older one does not move the counters back).
if kind == 'stop' or t >= tonumber(upd) then
  put('rec', json)
  put('updatedAt', tostring(math.max(t, tonumber(upd))))
end
-- The stale deadline moves with every record; the live index is re-scored lazily by the sweep.
if kind ~= 'stop' then put('deadline', ARGV[5]) end
if kind == 'stop' then
  put('sp', '1'); put('status', 'closed'); put('closedAt', ARGV[4]); put('closeReason', 'stop')
  redis.call('HSET', KEYS[1], unpack(set))
  redis.call('EXPIRE', KEYS[1], ARGV[6])
  if exists then
    redis.call('SREM', KEYS[2], member)
    redis.call('SREM', KEYS[3], member)
    redis.call('ZREM', KEYS[4], member)
  end
  return 1
end
if c > 0 then redis.call('HSET', KEYS[1], unpack(set)) end
if not exists then
  -- A new live session: index it, and let it take the place its Access-Accept held.
  redis.call('ZADD', KEYS[4], ARGV[5], member)
  redis.call('SADD', KEYS[3], member)
  redis.call('SADD', KEYS[2], member)
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', ARGV[8])
  redis.call('ZPOPMIN', KEYS[6])
end
return 1
`;

/**
 * Accounting-On/Off, one bucket: close the NAS's live sessions last updated at or before the
 * event. KEYS: NAS set, stream. ARGV: bucket prefix, eventTime, reason, retain, maxlen.
 */
const NAS_RESET_LUA = `${CLOSE_FN}
local n = 0
local t = tonumber(ARGV[2])
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sk = ARGV[1] .. 's:' .. m
  local upd = tonumber(redis.call('HGET', sk, 'updatedAt') or '0')
  if upd <= t then
    close_session(ARGV[1], sk, m, ARGV[3], ARGV[2], ARGV[4], KEYS[2], ARGV[5])
    n = n + 1
  end
end
return n
`;

/** Accounting-On/Off history entry, once. KEYS: guard, stream. ARGV: ttl, maxlen, kind, record JSON. */
const ONOFF_LOG_LUA = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'kind', ARGV[3], 'rec', ARGV[4])
return 1
`;

/**
 * Stale sessions, one bucket. KEYS: live zset, stream. ARGV: bucket prefix, now, limit, retain,
 * maxlen. The live index holds each session's deadline as of when it was indexed; the session's
 * own `deadline` field is the current one (records move it without touching the index, which
 * saves a ZADD per Interim-Update): a session found due is closed if it really is, else re-scored.
 * Returns { examined, closed }.
 */
const SWEEP_LUA = `${CLOSE_FN}
local now = tonumber(ARGV[2])
local ms = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
local closed = 0
for _, m in ipairs(ms) do
  local sk = ARGV[1] .. 's:' .. m
  local dl = tonumber(redis.call('HGET', sk, 'deadline') or '0')
  if dl > now then
    redis.call('ZADD', KEYS[1], dl, m)
  else
    close_session(ARGV[1], sk, m, 'stale', ARGV[2], ARGV[4], KEYS[2], ARGV[5])
    closed = closed + 1
  end
end
return { #ms, closed }
`;

/** Simultaneous-Use. KEYS: user set, claims. ARGV: max, now, expiry, id, ttlMs. */
const CLAIM_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
local inUse = redis.call('SCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2])
if inUse >= tonumber(ARGV[1]) then return {0, inUse} end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {1, inUse}
`;

/** The connection with the scripts defined as commands (ioredis defineCommand: EVALSHA, EVAL on NOSCRIPT). */
export type ScriptedRedis = RedisClient & SessionScripts;

interface SessionScripts {
  acctRecord(...args: (string | number)[]): Promise<number>;
  acctNasReset(...args: (string | number)[]): Promise<number>;
  acctOnOffLog(...args: (string | number)[]): Promise<number>;
  acctSweep(...args: (string | number)[]): Promise<[number, number]>;
  acctClaim(...args: (string | number)[]): Promise<[number, number]>;
}

export function defineSessionScripts(redis: RedisClient): ScriptedRedis {
  redis.defineCommand("acctRecord", { numberOfKeys: 6, lua: RECORD_LUA });
  redis.defineCommand("acctNasReset", { numberOfKeys: 2, lua: NAS_RESET_LUA });
  redis.defineCommand("acctOnOffLog", { numberOfKeys: 2, lua: ONOFF_LOG_LUA });
  redis.defineCommand("acctSweep", { numberOfKeys: 2, lua: SWEEP_LUA });
  redis.defineCommand("acctClaim", { numberOfKeys: 2, lua: CLAIM_LUA });
  return redis as ScriptedRedis;
}
