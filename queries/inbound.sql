-- The inbound path: every statement takes whole arrays, so one provider
-- notification (or several, grouped) costs a few statements, not a few per
-- message.

-- name: MessagesIngest :many
-- The customers' messages of an inbound batch in one statement (one round
-- trip and one executor run instead of five): their persons upserted, the
-- messages inserted idempotently on the provider's id, each chat created or
-- moved to its newest message (forward only: messages can arrive out of
-- order) with its incoming_count raised by the messages inserted, an event
-- appended for every message really inserted, in id
-- order, and the statuses that were waiting for these messages taken out
-- of message_statuses_pending and returned, for the caller to apply (a
-- statement cannot update rows it inserts itself).
-- Foreign keys are checked at the end of the statement, so a first
-- message's person and chat, inserted here too, satisfy them. Persons and
-- chats arrive sorted by wa_id, so concurrent writers lock each table's
-- rows in the same order (a deadlock between the tables is retried: see
-- internal/inbox, ingestOn). @wamids holds no duplicates. A JSON null
-- context stands for NULL, as in MessagesInsert. An event carries the
-- provider's message as sent: @raws holds it where it differs from the
-- stored payload (media re-pointed to wamux), JSON null elsewhere; and the
-- sender's contact object when the notification had one (@has_contacts),
-- which is then the person's payload.
WITH senders AS (
    SELECT unnest(@person_wa_ids::text[]) AS wa_id, unnest(@profile_names::text[]) AS profile_name, unnest(@person_payloads::jsonb[]) AS waba_payload, unnest(@initials::text[]) AS initials, unnest(@last_message_ats::timestamptz[]) AS last_message_at, unnest(@has_contacts::boolean[]) AS has_contact
), people AS (
    INSERT INTO persons AS p (wa_id, profile_name, waba_payload, initials, last_message_at)
    SELECT x.wa_id, x.profile_name, x.waba_payload, x.initials, x.last_message_at
    FROM senders x
    ON CONFLICT (wa_id) DO UPDATE SET
        profile_name    = CASE WHEN excluded.profile_name <> '' THEN excluded.profile_name ELSE p.profile_name END,
        waba_payload    = CASE WHEN excluded.waba_payload <> '{}'::jsonb THEN excluded.waba_payload ELSE p.waba_payload END,
        initials        = CASE WHEN excluded.profile_name <> '' THEN excluded.initials ELSE p.initials END,
        last_message_at = greatest(p.last_message_at, excluded.last_message_at),
        updated_at      = now()
    WHERE excluded.profile_name <> '' OR excluded.last_message_at IS NOT NULL
), input AS (
    SELECT unnest(@wamids::text[]) AS wamid, unnest(@chat_wa_ids::text[]) AS chat_wa_id, unnest(@types::text[]) AS type, unnest(@payloads::jsonb[]) AS waba_payload, nullif(unnest(@contexts::jsonb[]), 'null'::jsonb) AS context, unnest(@body_texts::text[]) AS body_text, unnest(@tss::timestamptz[]) AS ts, nullif(unnest(@raws::jsonb[]), 'null'::jsonb) AS raw
), ins AS (
    INSERT INTO messages (wamid, chat_wa_id, from_us, type, waba_payload, context, body_text, ts)
    SELECT i.wamid, i.chat_wa_id, false, i.type, i.waba_payload, i.context, i.body_text, i.ts FROM input i
    ON CONFLICT (wamid) DO NOTHING
    RETURNING id, wamid, chat_wa_id, ts
), chat_heads AS (
    INSERT INTO chats AS c (wa_id, last_message_id, last_message_at, incoming_count)
    SELECT h.chat_wa_id, h.id, h.ts, h.n
    FROM (SELECT DISTINCT ON (n.chat_wa_id) n.chat_wa_id, n.id, n.ts, count(*) OVER (PARTITION BY n.chat_wa_id) AS n
          FROM ins n ORDER BY n.chat_wa_id, n.ts DESC, n.id DESC) h
    ORDER BY h.chat_wa_id
    ON CONFLICT (wa_id) DO UPDATE SET
        last_message_id = CASE WHEN c.last_message_at IS NULL OR (excluded.last_message_at, excluded.last_message_id) >= (c.last_message_at, c.last_message_id)
                               THEN excluded.last_message_id ELSE c.last_message_id END,
        last_message_at = CASE WHEN c.last_message_at IS NULL OR (excluded.last_message_at, excluded.last_message_id) >= (c.last_message_at, c.last_message_id)
                               THEN excluded.last_message_at ELSE c.last_message_at END,
        incoming_count  = c.incoming_count + excluded.incoming_count,
        updated_at      = now()
), logged AS (
    INSERT INTO events (kind, chat_wa_id, message_id, payload)
    SELECT 'incoming_message', n.chat_wa_id, n.id,
           jsonb_build_object('contact', CASE WHEN x.has_contact THEN x.waba_payload ELSE 'null'::jsonb END,
                              'message', coalesce(i.raw, i.waba_payload))
    FROM ins n JOIN input i ON i.wamid = n.wamid JOIN senders x ON x.wa_id = n.chat_wa_id
    ORDER BY n.id
)
DELETE FROM message_statuses_pending sp
WHERE sp.wamid IN (SELECT n.wamid FROM ins n)
RETURNING sp.wamid, sp.status, sp.at, sp.errors;

-- name: ChatsEnsure :exec
INSERT INTO chats (wa_id)
SELECT unnest(@wa_ids::text[])
ON CONFLICT (wa_id) DO NOTHING;

-- name: MessagesInsert :many
-- A zero sender_id and a JSON null context stand for NULL.
-- Idempotent on the provider's message id: a replayed notification inserts
-- nothing, and only really inserted rows come back (and get events).
INSERT INTO messages (wamid, chat_wa_id, from_us, sender_id, type, waba_payload, context, body_text, ts)
SELECT x.wamid, x.chat_wa_id, x.from_us, x.sender_id, x.type, x.waba_payload, x.context, x.body_text, x.ts
FROM (SELECT unnest(@wamids::text[]) AS wamid, unnest(@chat_wa_ids::text[]) AS chat_wa_id, unnest(@from_us::boolean[]) AS from_us, nullif(unnest(@sender_ids::bigint[]), 0) AS sender_id, unnest(@types::text[]) AS type, unnest(@payloads::jsonb[]) AS waba_payload, nullif(unnest(@contexts::jsonb[]), 'null'::jsonb) AS context, unnest(@body_texts::text[]) AS body_text, unnest(@tss::timestamptz[]) AS ts) AS x
ON CONFLICT (wamid) DO NOTHING
RETURNING id, wamid, chat_wa_id, ts;

-- name: ChatsTouchLastMessage :exec
-- Moves each chat's newest message forward, never back (messages can arrive
-- out of order). The redundant `wa_id = ANY` lets a generic plan (the
-- inbound writers keep them) find the chats by their key instead of hashing
-- the whole table. Used by sends (one chat each); the inbound batches move
-- their chats in MessagesIngest.
UPDATE chats c SET last_message_id = x.id, last_message_at = x.ts, updated_at = now()
FROM (
    SELECT DISTINCT ON (chat_wa_id) chat_wa_id, id, ts
    FROM (SELECT unnest(@chat_wa_ids::text[]) AS chat_wa_id, unnest(@ids::bigint[]) AS id, unnest(@tss::timestamptz[]) AS ts) AS u
    ORDER BY chat_wa_id, ts DESC, id DESC
) x
WHERE c.wa_id = x.chat_wa_id
  AND c.wa_id = ANY(@chat_wa_ids::text[])
  AND (c.last_message_at IS NULL OR (x.ts, x.id) >= (c.last_message_at, c.last_message_id));

-- name: MessageStatusesApply :many
-- Records the first instant of each status of stored messages, and says
-- which were new (replays and repeats change nothing). `o` is the row as it
-- was before this statement, read under the row's lock: several inbound
-- writers may report statuses of the same message at once, and a row read
-- without the lock would be the one before the other writer's commit (an
-- UPDATE rechecks only its target row), taking its status for new twice.
-- The rows are locked in id order, the same in every transaction, so two
-- writers cannot deadlock on them.
WITH s AS (
    SELECT wamid,
           min(at) FILTER (WHERE status = 'sent')      AS sent,
           min(at) FILTER (WHERE status = 'delivered') AS delivered,
           min(at) FILTER (WHERE status = 'read')      AS read,
           min(at) FILTER (WHERE status = 'failed')    AS failed,
           min(at) FILTER (WHERE status = 'played')    AS played,
           min(at) FILTER (WHERE status = 'deleted')   AS deleted,
           (array_agg(errors) FILTER (WHERE status = 'failed'))[1] AS errs
    FROM (SELECT unnest(@wamids::text[]) AS wamid, unnest(@statuses::text[]) AS status, unnest(@ats::timestamptz[]) AS at, nullif(unnest(@errors::jsonb[]), 'null'::jsonb) AS errors) AS u
    GROUP BY wamid
), o AS (
    SELECT l.id, l.wamid, l.sent_at, l.delivered_at, l.read_at, l.failed_at, l.played_at, l.deleted_at, l.status_errors
    FROM messages l
    WHERE l.wamid IN (SELECT wamid FROM s)
    ORDER BY l.id
    FOR UPDATE
)
UPDATE messages m SET
    sent_at       = coalesce(o.sent_at, s.sent),
    delivered_at  = coalesce(o.delivered_at, s.delivered),
    read_at       = coalesce(o.read_at, s.read),
    failed_at     = coalesce(o.failed_at, s.failed),
    played_at     = coalesce(o.played_at, s.played),
    deleted_at    = coalesce(o.deleted_at, s.deleted),
    status_errors = coalesce(o.status_errors, s.errs)
FROM s JOIN o ON o.wamid = s.wamid
WHERE m.id = o.id
RETURNING m.id, m.wamid, m.chat_wa_id,
    (o.sent_at IS NULL AND s.sent IS NOT NULL)::boolean           AS new_sent,
    (o.delivered_at IS NULL AND s.delivered IS NOT NULL)::boolean AS new_delivered,
    (o.read_at IS NULL AND s.read IS NOT NULL)::boolean           AS new_read,
    (o.failed_at IS NULL AND s.failed IS NOT NULL)::boolean       AS new_failed,
    (o.played_at IS NULL AND s.played IS NOT NULL)::boolean       AS new_played,
    (o.deleted_at IS NULL AND s.deleted IS NOT NULL)::boolean     AS new_deleted;

-- name: PendingStatusesInsert :many
-- Statuses of messages not stored yet wait here; a repeat is ignored.
INSERT INTO message_statuses_pending (wamid, status, at, errors, payload)
SELECT unnest(@wamids::text[]), unnest(@statuses::text[]), unnest(@ats::timestamptz[]), nullif(unnest(@errors::jsonb[]), 'null'::jsonb), unnest(@payloads::jsonb[])
ON CONFLICT (wamid, status) DO NOTHING
RETURNING wamid, status;

-- name: StatusWamidsLock :exec
-- Serializes, per message id, a status that finds no message with the send
-- that stores that message (internal/inbox: applyStatuses, Send). Locks are
-- taken in key order, so two transactions locking several cannot deadlock
-- each other; they are released at commit.
SELECT count(pg_advisory_xact_lock(k))
FROM (SELECT DISTINCT hashtextextended(w, 0) AS k FROM unnest(@wamids::text[]) AS w ORDER BY 1) AS s;

-- name: PendingStatusesTake :many
-- The waiting statuses of messages just inserted, removed as they are applied.
DELETE FROM message_statuses_pending
WHERE wamid = ANY(@wamids::text[])
RETURNING wamid, status, at, errors;

-- name: EventsAppend :exec
-- An empty chat_wa_id and a zero message_id stand for "none" (sqlc arrays
-- cannot carry NULLs).
INSERT INTO events (kind, chat_wa_id, message_id, payload)
SELECT unnest(@kinds::text[]), nullif(unnest(@chat_wa_ids::text[]), ''), nullif(unnest(@message_ids::bigint[]), 0), unnest(@payloads::jsonb[]);

-- name: PersonEnsure :exec
-- A person that wamux writes to first (no profile known yet).
INSERT INTO persons (wa_id) VALUES (@wa_id) ON CONFLICT (wa_id) DO NOTHING;

-- name: ChatForWrite :one
-- The chat and its customer-care window, locked while a message is sent so
-- an assignment change cannot slip in between the check and the send.
SELECT c.wa_id, c.assigned_user_id, c.assigned_group_id, p.last_message_at
FROM chats c JOIN persons p ON p.wa_id = c.wa_id
WHERE c.wa_id = @wa_id;
