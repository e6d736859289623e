-- A finer sample of message texts for the planner's guess at how many
-- messages a search matches.
--
-- PostgreSQL estimates `body_text ILIKE '%word%'` by trying the pattern on
-- the column's sampled values (most common values and histogram, 100 of
-- each by default). A word in 0.02% of the messages is in none of them in
-- most ANALYZEs, estimated at 0.01%; in the others it is in one, estimated
-- at about 1%, a hundred times too many. Then a search's page walks
-- messages_ts_idx newest first expecting to meet 100 matches soon, and
-- reads the whole table instead (764 ms at p50 for "warranty", 203
-- matches in 1,000,000 messages, in one `wamux bench` run of five on 7
-- December; docs/performance.md). With 1,000 of each, one sampled value is
-- 0.1%, below where the planner prefers the walk (about 2,000 of 1,000,000
-- rows), and frequent words are estimated within a tenth of a percent.
--
-- The cost is ANALYZE's sample, 300,000 rows instead of 30,000: about 6 s
-- instead of 1 s on 1,000,000 seeded messages, in autovacuum's background
-- worker. It takes effect at the next ANALYZE (autovacuum's, or the seed's).
-- ListMessages no longer depends on the estimate for searches that match
-- fewer than SearchCountBound messages (MessageSearchHits); this keeps the
-- planner's choices sound above that too.

-- +goose Up
ALTER TABLE messages ALTER COLUMN body_text SET STATISTICS 1000;

-- +goose Down
ALTER TABLE messages ALTER COLUMN body_text SET STATISTICS -1;
