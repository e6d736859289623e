// Package fanout delivers per-user WABA Webhooks from the event log: the
// multiplexer that turns the provider's one webhook into one per user.
//
// Each webhook has a cursor, an (xid, id) position in the log. A deliverer
// reads the events after it, only below the snapshot horizon
// (pg_snapshot_xmin), so that a transaction committing late can never be
// skipped; keeps those the webhook subscribes to and its user may read (at
// delivery time); builds the reference's payload (the provider's fields
// unchanged plus the extension fields, each object exactly as the list
// endpoints show it to that user); signs it with the Standard Webhooks
// scheme and POSTs it. On a 2xx the cursor moves past the batch and the
// delivered messages are marked received for the user, in one statement;
// on anything else the cursor stays and the next attempt backs off
// exponentially, so order is kept and delivery is at least once.
//
// One Engine runs in each `wamux serve` replica. Replicas share the
// webhooks through leases (short UPDATEs on waba_webhooks, renewed while a
// deliverer runs; never a lock held during a POST, which would hold the
// horizon back), so each webhook has one active deliverer and another
// replica takes over when a replica dies. One LISTEN connection per engine
// wakes its deliverers when events commit (channel wamux_events) or a
// webhook changes (wamux_webhooks); a timer covers what notifications
// cannot, such as the end of a long transaction that held the horizon.
package fanout
