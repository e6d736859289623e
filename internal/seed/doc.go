// Package seed fills a wamux database with realistic customers, chats and
// messages, for benchmarks and demos (`wamux seed`, `wamux bench`).
//
// The history it writes looks like a shop's support inbox: customers from
// several countries with plausible profile names, chats of very different
// lengths, conversations in bursts spread over months, replies from a few
// agents with sent/delivered/read statuses, and per-user received marks so
// that some chats show new messages. Bodies are built from sentence lists,
// so that a search finds many messages for some words, few for others and
// none for some (SearchTerms lists them).
//
// It is built for speed: the rows are generated in Go and streamed with
// COPY (pgx CopyFrom), the way pg_restore loads a table (indexes and
// foreign keys made after the rows) when the messages table is empty, and
// in batches on two connections when it is not; the few statements that
// remain are set-based. Its SQL lives here rather than in queries/: it is a
// tool's bulk load (table and column names for COPY, catalog queries, DDL
// taken from pg_get_indexdef), not part of the application's queries.
// Seeded messages get no events: the history predates every subscriber, as
// an imported archive would.
package seed
