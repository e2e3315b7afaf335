//! The Lua scripts that make multi-key changes atomic. Records travel as
//! plain field/value argument pairs (absent values left out), stored with
//! one HSET per record; where more arguments follow, the pairs come after
//! their count.

use redis::Script;
use std::sync::LazyLock;

/// KEYS: message, queue, idempotency key ("" for none), stats, instances,
/// 4 logs. ARGV: id, created_at, log member, instance id, then the
/// message's fields as field/value pairs.
/// Returns {id, 1} when the idempotency key was used before, nil when the
/// instance is not registered (nothing stored), else {id, 0}.
pub static ENQUEUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        if KEYS[3] ~= '' then
            local earlier = redis.call('GET', KEYS[3])
            if earlier then return {earlier, 1} end
        end
        if redis.call('HEXISTS', KEYS[5], ARGV[4]) == 0 then return false end
        if KEYS[3] ~= '' then redis.call('SET', KEYS[3], ARGV[1]) end
        redis.call('HSET', KEYS[1], unpack(ARGV, 5))
        redis.call('RPUSH', KEYS[2], ARGV[1])
        redis.call('HINCRBY', KEYS[4], 'total', 1)
        for i = 6, 9 do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3]) end
        return {ARGV[1], 0}
        "#,
    )
});

/// KEYS: message, stats, the instance's pacing mark ("" for none), the
/// message's GHL link, the instance's sent windows, contacts and talked
/// times ("" for none: not a send). ARGV: new status, allowed current statuses
/// (",a,b,"), error ("" for none), now, key prefix, the cap window, the
/// recipient ("" for none). Moves the status forward (a message leaving
/// `queued` leaves its queue), sets the pacing mark to now, counts a send
/// in its window and keeps its recipient as a contact, and returns the
/// message's instance, status, error and GHL link ("" for none); nil when
/// it did not move.
pub static ADVANCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        local current = redis.call('HGET', KEYS[1], 'status')
        if not current or not string.find(ARGV[2], ',' .. current .. ',', 1, true) then return false end
        redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_at', ARGV[4])
        if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[3]) end
        local instance = redis.call('HGET', KEYS[1], 'instance_id')
        if current == 'queued' then
            if ARGV[1] == 'sent' or ARGV[1] == 'failed' then redis.call('HINCRBY', KEYS[1], 'attempts', 1) end
            redis.call('LREM', ARGV[5] .. 'queue:' .. instance, 1, redis.call('HGET', KEYS[1], 'id'))
            redis.call('HINCRBY', KEYS[2], ARGV[1] == 'failed' and 'failed' or 'completed', 1)
        end
        if KEYS[3] ~= '' then redis.call('SET', KEYS[3], ARGV[4]) end
        if KEYS[5] ~= '' then redis.call('HINCRBY', KEYS[5], ARGV[6], 1) end
        if KEYS[6] ~= '' and ARGV[7] ~= '' then
            redis.call('HSETNX', KEYS[6], ARGV[7], '')
            redis.call('HSET', KEYS[7], ARGV[7], ARGV[4])
        end
        local error = redis.call('HGET', KEYS[1], 'error') or ''
        return {instance, ARGV[1], error, redis.call('GET', KEYS[4]) or ''}
        "#,
    )
});

/// KEYS: queue, stats. ARGV: reason, now, key prefix. Fails every queued
/// message of the queue; returns their ids.
pub static FAIL_QUEUED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        local ids = redis.call('LRANGE', KEYS[1], 0, -1)
        for _, id in ipairs(ids) do
            redis.call('HSET', ARGV[3] .. 'msg:out:' .. id, 'status', 'failed', 'error', ARGV[1], 'updated_at', ARGV[2])
        end
        redis.call('DEL', KEYS[1])
        redis.call('HINCRBY', KEYS[2], 'failed', #ids)
        return ids
        "#,
    )
});

/// KEYS: routing generation, inbound message, inbound index, forwards
/// due, forwards all, 4 logs, the instance's contacts and talked times,
/// then one key per forward. ARGV: the routing generation the forwards were chosen by,
/// received at, log member (also the index's value), forwards due at, the
/// contact ("" for none) and its message to mark read ("" for none), the
/// message's fields (counted pairs), then per forward its id and fields
/// (counted pairs). Returns 1
/// when stored, 0 for a message seen before, -1 when the routing
/// generation moved on (nothing is written then).
pub static RECORD_INBOUND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        if (tonumber(redis.call('GET', KEYS[1])) or 0) ~= tonumber(ARGV[1]) then return -1 end
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        local at = 8 + tonumber(ARGV[7])
        redis.call('HSET', KEYS[2], unpack(ARGV, 8, at - 1))
        redis.call('SET', KEYS[3], ARGV[3])
        for i = 6, 9 do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3]) end
        if ARGV[5] ~= '' then
            if ARGV[6] ~= '' then redis.call('HSET', KEYS[10], ARGV[5], ARGV[6])
            else redis.call('HSETNX', KEYS[10], ARGV[5], '') end
            local known = tonumber(redis.call('HGET', KEYS[11], ARGV[5])) or 0
            if tonumber(ARGV[2]) > known then redis.call('HSET', KEYS[11], ARGV[5], ARGV[2]) end
        end
        for n = 12, #KEYS do
            local id, count = ARGV[at], tonumber(ARGV[at + 1])
            redis.call('HSET', KEYS[n], unpack(ARGV, at + 2, at + 1 + count))
            redis.call('ZADD', KEYS[4], ARGV[4], id)
            redis.call('ZADD', KEYS[5], ARGV[2], id)
            at = at + 2 + count
        end
        return 1
        "#,
    )
});

/// KEYS: forward, forwards due, forwards all. ARGV: now, id, the fields
/// (counted pairs). Stores a forward unless its id exists; returns 1 when
/// stored.
pub static ADD_FORWARD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], unpack(ARGV, 4))
        redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
        redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
        return 1
        "#,
    )
});

/// KEYS: tokens, token versions, routing generation. ARGV: owner,
/// expected version ("" for any), token JSON. Replaces the token when the
/// version matches (a new owner moves the routing generation on); returns
/// the new version, or 0 when another writer got there first.
pub static REPLACE_TOKEN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        local stored = tonumber(redis.call('HGET', KEYS[2], ARGV[1]))
        if ARGV[2] ~= '' and stored ~= tonumber(ARGV[2]) then return 0 end
        if stored == nil then redis.call('INCR', KEYS[3]) end
        local version = (stored or 0) + 1
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
        redis.call('HSET', KEYS[2], ARGV[1], version)
        return version
        "#,
    )
});

/// KEYS: reported rank. ARGV: rank, time to keep (s). Raises the rank;
/// returns 1 when it moved forward.
pub static ADVANCE_REPORTED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        local current = tonumber(redis.call('GET', KEYS[1])) or -1
        if tonumber(ARGV[1]) <= current then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        return 1
        "#,
    )
});

/// KEYS: forwards due. ARGV: now, limit, claimed until. Takes the due
/// forwards and pushes their due time out, so no other process takes them
/// while this one tries; the outcome then sets the real next time.
pub static CLAIM_DUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[3], id) end
        return ids
        "#,
    )
});

/// KEYS: forward, forwards due. ARGV: id, now. Makes the forward pending
/// and due now with its attempts reset, unless a forwarder has it claimed:
/// a round's claim (its due time pushed past the stored next attempt) or
/// the intake's handoff (untried, due later than it was made). Returns
/// {"unknown", 0}, {"claimed", claimed until} or {"requeued", now}.
pub static REQUEUE_FORWARD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        local f = redis.call('HMGET', KEYS[1], 'status', 'attempts', 'next_attempt_at', 'created_at')
        if not f[1] then return {'unknown', 0} end
        local due = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or 0)
        local stored, made = tonumber(f[3]) or 0, tonumber(f[4]) or 0
        local handed = tonumber(f[2]) == 0 and stored > made
        if f[1] == 'pending' and due > tonumber(ARGV[2]) and (due ~= stored or handed) then
            return {'claimed', due}
        end
        redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0, 'next_attempt_at', ARGV[2])
        redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
        return {'requeued', tonumber(ARGV[2])}
        "#,
    )
});

/// KEYS: forwards due, then each forward's record. ARGV: now, then the
/// forward ids in the same order. Makes each forward still pending (in the
/// due set) due now, in the set and in its record.
pub static RELEASE_FORWARDS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        for i = 2, #ARGV do
            if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
                redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i])
                redis.call('HSET', KEYS[i], 'next_attempt_at', ARGV[1])
            end
        end
        return 0
        "#,
    )
});

/// KEYS: the location's group → link hash, its contact → link hash.
/// ARGV: group id, contact id, link (JSON).
/// Keeps the link unless the group has one; the standing link's contact
/// points at it. Returns the standing link.
pub static LINK_GROUP_CONTACT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3])
        local standing = redis.call('HGET', KEYS[1], ARGV[1])
        if standing == ARGV[3] then redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
        return standing
        "#,
    )
});
