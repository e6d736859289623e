// Package e2e holds wamux's end-to-end tests: they build the real binaries
// (cmd/wamux and the fake Cloud API provider cmd/wabasim) once per `go
// test` run and drive them as separate OS processes on loopback ports, each
// test on its own PostgreSQL database (internal/dbtest). What they prove is
// what only whole processes can show: signed webhooks in both directions,
// several `wamux serve` replicas sharing one database, and a replica killed
// in the middle of a delivery.
//
// The package has no non-test code; this file only documents it.
package e2e
