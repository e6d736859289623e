// Package accounts manages users and groups: creation and activation,
// profile updates, passwords, roles, group membership and the permission
// settings that internal/authz combines. A user's role and its membership
// of the three role groups ("Admin", "Regular user", "App integration")
// always agree: the role decides the role group.
package accounts
