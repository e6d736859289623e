// Package devdb finds or starts a PostgreSQL server for development and tests,
// so that `go test ./...` and a local server work on a fresh machine with no
// manual database setup.
//
// [Ensure] tries, in order: the DATABASE_URL environment variable, the system
// server on 127.0.0.1:5432, an existing Debian cluster that is stopped (started
// with pg_ctlcluster), and finally a private cluster that it creates with the
// installed PostgreSQL binaries and keeps in a per-user cache directory on port
// 54329. The private cluster is tuned for speed, not durability: it is meant for
// throwaway data only.
//
// The package is for development and CI machines; production code reads its
// database URL from configuration and never calls it.
package devdb
