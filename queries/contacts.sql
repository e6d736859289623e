-- The built-in Contact Provider "persons": wamux's own persons, as contacts.
-- Like GET /api/v1/persons/ (queries/reads.sql), a caller sees the persons
-- of the chats it may read (@read_level, @user_id, @group_ids), and the
-- search uses the trigram indexes on profile_name and wa_id. Pages follow
-- wa_id (the primary key) from a cursor, so no page costs more than the
-- first.

-- name: ContactPersonPage :many
SELECT p.wa_id, p.profile_name, p.initials
FROM persons p
JOIN chats c ON c.wa_id = p.wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(name_pattern)::text IS NULL
       OR p.profile_name ILIKE sqlc.narg(name_pattern)
       OR p.wa_id ILIKE sqlc.narg(number_pattern)::text)
  AND p.wa_id > @after::text
ORDER BY p.wa_id
LIMIT @lim;

-- name: ContactPersonCount :one
SELECT count(*)
FROM persons p
JOIN chats c ON c.wa_id = p.wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(name_pattern)::text IS NULL
       OR p.profile_name ILIKE sqlc.narg(name_pattern)
       OR p.wa_id ILIKE sqlc.narg(number_pattern)::text);

-- name: ContactPersonGet :many
SELECT p.wa_id, p.profile_name, p.initials
FROM persons p
JOIN chats c ON c.wa_id = p.wa_id
WHERE p.wa_id = @wa_id
  AND (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])));
