// The statements of a send and of an attempt on PostgreSQL: each request is one read and one
// write, each a single statement (data-modifying CTEs are one atomic unit), so a request
// costs two round trips. Run as named prepared statements: each pooled connection parses
// and plans them once.
import { insertEventsFrom } from './events.js';

/** A verifications row as the domain names its fields. */
const columns = `id, client_id as "clientId", email, purpose, locale, status, attempts, max_attempts as "maxAttempts",
  send_count as "sendCount", created_at as "createdAt", last_sent_at as "lastSentAt", expires_at as "expiresAt", verified_at as "verifiedAt",
  verified_with as "verifiedWith", user_ref as "userRef"`;

/**
 * Everything a send decides on. $1 client, $2 email, $3 purpose, $4/$5 the address's sends
 * since/at most, $6 ip, $7/$8 the IP's sends since/at most, $9/$10 the guard keys,
 * $11/$12 the counters to read (keys, first buckets) where the database keeps them, $13 now
 * (a suppression of the address that still lasts).
 */
export const loadSendState = `
select
  (select row_to_json(v) from (
    select ${columns} from verifications where client_id = $1 and email = $2 and purpose = $3 order by created_at desc limit 1
  ) v) as latest,
  array(select created_at from send_events where email = $2 and created_at > $4 order by created_at desc limit $5) as email_sends,
  array(select created_at from send_events where end_user_ip = $6 and created_at > $7 order by created_at desc limit $8) as ip_sends,
  (select version from send_guards where key = $9) as email_version,
  (select version from send_guards where key = $10) as ip_version,
  (select coalesce(json_agg(json_build_array(c.key, c.bucket, c.count)), '[]')
     from limit_counters c join unnest($11::text[], $12::bigint[]) as w(key, since) on c.key = w.key and c.bucket >= w.since) as buckets,
  (select json_build_object('reason', reason, 'enhancedStatus', enhanced_status, 'until', until) from suppressions where client_id = $1 and email = $2 and until > $13) as suppression`;

/**
 * The guard every send write begins with: bump the version of each key (the address, the
 * IP) only if it is still the version the read saw; a key read as absent must still be
 * absent. A send that came in between holds (or has committed) a newer version, so the
 * write finds fewer guard rows than keys, and every insert below depends on `ok`.
 * $1 the keys, $2 the versions read (null: absent), $3 now.
 */
const guard = `
guard as (
  insert into send_guards (key, version, updated_at)
  select k, 1, $3::bigint from unnest($1::text[]) as k
  on conflict (key) do update set version = send_guards.version + 1, updated_at = excluded.updated_at
  where send_guards.version = ($2::bigint[])[array_position($1::text[], send_guards.key)]
  returning key
),
ok as (select count(*) = cardinality($1::text[]) as ok from guard)`;

/**
 * What follows the verification row `v` of a send: $4 client, $5 email, $6 ip, $7 code hash, $8 payload, $9 expiry, $10/$11 counter events, $12 audit events,
 * and `$link`/`$link+1` the continue link's hash and its browser binding's (null: the mail carries no link).
 */
const afterVerification = (link: number) => `
code as (insert into verification_codes (verification_id, code_hash, created_at) select id, $7::text, $3::bigint from v),
link as (
  insert into verification_links (verification_id, link_hash, binding_hash, created_at)
  select id, $${link}::text, $${link + 1}::text, $3::bigint from v where $${link}::text is not null
),
event as (insert into send_events (client_id, email, end_user_ip, created_at) select $4::text, $5::text, $6::text, $3::bigint from v),
mail as (insert into outbox (verification_id, status, payload, next_attempt_at, created_at, expires_at) select id, 'queued', $8::text, $3::bigint, $3::bigint, $9::bigint from v),
counted as (
  insert into limit_counters (key, bucket, count) select k, b, 1 from v, unnest($10::text[], $11::bigint[]) as e(k, b)
  on conflict (key, bucket) do update set count = limit_counters.count + 1
),
audit as (${insertEventsFrom('v', 12)})`;

/** A first send: $13 id, $14 purpose, $15 locale, $16 max attempts, $17/$18 the link, $19 the person's user reference. */
export const commitNewSend = `
with ${guard},
v as (
  insert into verifications (id, client_id, email, purpose, locale, status, attempts, max_attempts, send_count, created_at, last_sent_at, expires_at, user_ref)
  select $13::text, $4::text, $5::text, $14::text, $15::text, 'pending', 0, $16::int, 1, $3::bigint, $3::bigint, $9::bigint, $19::text from ok where ok.ok
  returning *
),
${afterVerification(17)}
select ${columns} from v`;

/** A CTE deleting all but the newest $14 - 1 rows of the verification's codes (or links): with this send's, $14 stay. */
const keepNewest = (table: 'verification_codes' | 'verification_links') => `
pruned_${table} as (
  delete from ${table} where verification_id in (select id from v) and id not in (
    select id from ${table} where verification_id = $13 order by id desc limit greatest($14::int - 1, 0)
  )
)`;

/**
 * A resend joining a pending verification: $13 its id, $14 how many codes (and links) stay
 * valid, $15/$16 the link, $17 the person's user reference (none: the one before stays). The
 * deletes see the rows as they were before this statement, so they keep one fewer.
 */
export const commitJoinSend = `
with ${guard},
v as (
  update verifications set last_sent_at = $3::bigint, expires_at = $9::bigint, send_count = send_count + 1,
    user_ref = coalesce($17::text, user_ref)
  where id = $13::text and status = 'pending' and expires_at > $3::bigint and (select ok from ok)
  returning *
),
${keepNewest('verification_codes')},
${keepNewest('verification_links')},
${afterVerification(15)}
select ${columns} from v`;

/**
 * The verification an attempt names (another client's is not the target), or else the
 * client's decoy (attempt-flow.ts), and its code hashes. $1 client, $2 the decoy's id, then
 * $3 the id — or $3/$4 the address and purpose of the newest one. The decoy's branch runs
 * only when the target's finds nothing (LIMIT 1 stops at the first row).
 */
const loadAttempt = (target: string) => `
with target as ((${target}) union all (select * from verifications where id = $2 and client_id = $1) limit 1)
select t.*, array(select code_hash from verification_codes where verification_id = t.id) as hashes
from (select 1) as one left join (select ${columns} from target) as t on true`;

export const loadAttemptById = loadAttempt('select * from verifications where id = $3 and client_id = $1');
export const loadAttemptByAddress = loadAttempt(
  'select * from verifications where client_id = $1 and email = $3 and purpose = $4 order by created_at desc limit 1',
);

/**
 * An attempt's one write: counted and decided together, only if no other attempt was
 * counted since the read ($3 the count read), still pending and unexpired ($2 now). A
 * concurrent write of the row is waited for and the condition checked again on the new
 * row (READ COMMITTED), so exactly one of two racing attempts is written. $4/$5 counter
 * events, written either way; $6 audit events, written only with the attempt.
 */
const attemptWrite = (outcome: string, after = '') => `
with v as (
  update verifications set attempts = attempts + 1, ${outcome}
  where id = $1 and status = 'pending' and attempts = $3 and expires_at > $2
  returning *
),${after}
counted as (
  insert into limit_counters (key, bucket, count) select k, b, 1 from unnest($4::text[], $5::bigint[]) as e(k, b)
  on conflict (key, bucket) do update set count = limit_counters.count + 1
),
audit as (${insertEventsFrom('v', 6)})
select ${columns} from v`;

/**
 * A right code (or link, $7 says which): pending → verified, and the codes erased; with $8,
 * the person it proves the address for (people/), recorded with it.
 */
export const commitVerified = attemptWrite(
  "status = 'verified', verified_at = $2, verified_with = $7",
  `
erased as (delete from verification_codes where verification_id in (select id from v)),
proven as (
  insert into person_addresses (client_id, user_ref, email, purpose, proven_at, verification_id)
  select client_id, $8::text, email, purpose, $2, id from v where $8::text is not null
  on conflict (client_id, user_ref, email)
  do update set purpose = excluded.purpose, proven_at = excluded.proven_at, verification_id = excluded.verification_id
),`,
);

/** A wrong code: locked if it was the last attempt. */
export const commitWrong = attemptWrite(
  "status = case when attempts + 1 >= max_attempts then 'locked' else 'pending' end",
);

/**
 * A continue link's verification (if it is this client's: $1) and the binding stored with
 * it, by the token's hashes ($2), with the count of unknown links from the IP ($3 key,
 * $4 first bucket).
 */
export const loadLink = `
select
  (select row_to_json(v) from (select ${columns} from verifications where id = l.verification_id and client_id = $1) v) as verification,
  l.binding_hash as "bindingHash",
  (select coalesce(json_agg(json_build_array(bucket, count)), '[]') from limit_counters where key = $3 and bucket >= $4) as probes
from (select 1) as one left join lateral (select * from verification_links where link_hash = any($2::text[]) limit 1) as l on true`;

/** A refused link: $1/$2 counter events, $3 audit events. */
export const recordLinkRefusal = `
with counted as (
  insert into limit_counters (key, bucket, count) select k, b, 1 from unnest($1::text[], $2::bigint[]) as e(k, b)
  on conflict (key, bucket) do update set count = limit_counters.count + 1
),
audit as (${insertEventsFrom('(select 1) as one', 3)})
select 1`;
