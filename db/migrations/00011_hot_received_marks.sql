-- Room for HOT updates on received_marks, as 00009 gives messages and
-- persons: every webhook delivery moves its user's mark of the chat
-- forward (received_until, updated_at: neither indexed), and with full
-- pages (fillfactor 100) each move was a new row elsewhere plus a new entry
-- in the primary key. The fan-out writes about one mark per chat and
-- subscriber per second under load (internal/fanout/marks.go).

-- +goose Up
ALTER TABLE received_marks SET (fillfactor = 70);

-- +goose Down
ALTER TABLE received_marks RESET (fillfactor);
