-- messages.body_text holds the searchable text folded to lower case.
--
-- body_text exists only to be searched (the message itself is waba_payload).
-- A search was `body_text ILIKE '%phrase%'`, and ILIKE in a UTF-8 database
-- lower-cases both the row's text and the pattern for every row it reads:
-- 0.51 µs a row against 0.07 µs for LIKE on text already folded (300,000
-- sentences like the seed's, one core, C.UTF-8). The rows a search reads
-- are many: a count stops at its 1,001st match, 37,000 rows into the table
-- for a word in 2.7% of the messages, and a page's walk of messages_ts_idx
-- reads every message until it has its page. Now every writer stores
-- inbox.SearchText(text) (Go's lower-casing, off the single inbound
-- writer's backend), and searches compare with LIKE against the phrase
-- folded the same way. The trigram index needs no change: pg_trgm folds
-- its trigrams anyway, for LIKE and ILIKE alike.
--
-- This folds the rows already stored, with PostgreSQL's lower(), which
-- agrees with Go's for every letter but a few whose lower case Unicode
-- revised (a message with one of those stays findable by the letters
-- around it). It rewrites every row with a capital letter, and inbound
-- writes wait for it: on 1,000,000 messages of `wamux seed` it rewrote
-- 960,910 rows in 52 s, and the table with its indexes grew from 820 MB to
-- 1,506 MB until autovacuum frees the old rows' space for new ones.

-- +goose Up
UPDATE messages SET body_text = lower(body_text) WHERE body_text <> lower(body_text);

-- +goose Down
-- Nothing to undo: ILIKE, which the code before this used, finds folded
-- text as it found the original.
SELECT 1;
