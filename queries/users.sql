-- name: UserGetByID :one
SELECT * FROM users WHERE id = @id;

-- name: UserGetByUsername :one
SELECT * FROM users WHERE lower(username) = lower(@username);

-- name: UserList :many
SELECT * FROM users ORDER BY id LIMIT @lim OFFSET @off;

-- name: UserCount :one
SELECT count(*) FROM users;

-- name: UserListByIDs :many
SELECT * FROM users WHERE id = ANY(@ids::bigint[]) ORDER BY id;

-- name: UserCreate :one
INSERT INTO users (username, first_name, last_name, email, role, is_active, password_hash, activation_code_hash)
VALUES (@username, @first_name, @last_name, @email, @role, @is_active, @password_hash, @activation_code_hash)
RETURNING *;

-- name: UserUpdate :one
UPDATE users SET
    username = @username,
    first_name = @first_name,
    last_name = @last_name,
    email = @email,
    role = @role,
    can_use_tags = @can_use_tags,
    can_read_chats = @can_read_chats,
    can_write_to_chats = @can_write_to_chats
WHERE id = @id
RETURNING *;

-- name: UserSetPassword :exec
UPDATE users SET password_hash = @password_hash WHERE id = @id;

-- name: UserDeactivate :execrows
UPDATE users SET is_active = false, activation_code_hash = NULL WHERE id = @id;

-- name: UserActivate :one
-- Consumes an activation code: it works once, then the code is gone.
UPDATE users SET is_active = true, activation_code_hash = NULL
WHERE activation_code_hash = @activation_code_hash
RETURNING *;

-- name: UserTouchLogin :exec
UPDATE users SET last_login = now() WHERE id = @id;

-- name: UserFirstActiveAdmin :one
-- The provider key authenticates as the admin registered first; when that
-- one is gone or inactive, the next oldest active admin.
SELECT * FROM users WHERE role = 'admin' AND is_active ORDER BY id LIMIT 1;

-- name: UserAnyAdminExists :one
SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin');

-- name: UserGroupsForUsers :many
-- The groups of a page of users, with the permissions each group grants.
SELECT gm.user_id, g.id, g.name, g.can_use_tags, g.can_read_chats, g.can_write_to_chats
FROM group_members gm
JOIN groups g ON g.id = gm.group_id
WHERE gm.user_id = ANY(@user_ids::bigint[])
ORDER BY gm.user_id, g.id;

-- name: UserActiveAdminCountExcept :one
SELECT count(*) FROM users WHERE role = 'admin' AND is_active AND id <> @id;

-- name: UserMakeActiveAdmin :one
UPDATE users SET role = 'admin', is_active = true, activation_code_hash = NULL WHERE id = @id RETURNING *;
