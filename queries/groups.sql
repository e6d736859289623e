-- name: GroupList :many
SELECT * FROM groups ORDER BY id LIMIT @lim OFFSET @off;

-- name: GroupCount :one
SELECT count(*) FROM groups;

-- name: GroupGetByID :one
SELECT * FROM groups WHERE id = @id;

-- name: GroupGetByRole :one
SELECT * FROM groups WHERE role = @role;

-- name: GroupListByIDs :many
SELECT * FROM groups WHERE id = ANY(@ids::bigint[]) ORDER BY id;

-- name: GroupCreate :one
INSERT INTO groups (name, can_use_tags, can_read_chats, can_write_to_chats)
VALUES (@name, @can_use_tags, @can_read_chats, @can_write_to_chats)
RETURNING *;

-- name: GroupUpdate :one
UPDATE groups SET
    name = @name,
    can_use_tags = @can_use_tags,
    can_read_chats = @can_read_chats,
    can_write_to_chats = @can_write_to_chats
WHERE id = @id
RETURNING *;

-- name: GroupDelete :execrows
DELETE FROM groups WHERE id = @id;

-- name: GroupMembersForGroups :many
SELECT group_id, user_id FROM group_members
WHERE group_id = ANY(@group_ids::bigint[])
ORDER BY group_id, user_id;

-- name: GroupMemberAdd :exec
INSERT INTO group_members (group_id, user_id) VALUES (@group_id, @user_id)
ON CONFLICT DO NOTHING;

-- name: GroupMemberRemove :exec
DELETE FROM group_members WHERE group_id = @group_id AND user_id = @user_id;

-- name: GroupMembersClear :exec
DELETE FROM group_members WHERE group_id = @group_id;

-- name: GroupMembershipsClearForUser :exec
DELETE FROM group_members WHERE user_id = @user_id;
