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
// COPY (pgx CopyFrom) in batches on two connections; the few statements
// that remain are set-based. Seeded messages get no events: the history
// predates every subscriber, as an imported archive would.
package seed
