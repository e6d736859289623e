// Package rules is the rule engine: it decides who owns a conversation when
// something happens to it, and assigns the chat through internal/ownership.
//
// The engine is a consumer of the event log, like a webhook deliverer
// (internal/fanout): one row of table rule_engine holds its configuration,
// its (xid, id) position in the log and a lease, so that one replica at a
// time evaluates events, and another takes over when it dies. It reads only
// below the snapshot horizon (the same queries as the fan-out), so an event
// committed late is never skipped, and runs after the commit of the change
// it reacts to, so ingestion and deliveries never wait for it.
//
// Events that call the engine: a fresh incoming message (its chat has no
// assigned user and no group when the event is evaluated, as its batch read
// the chat at most stateTTL before), an outgoing message written through
// wamux, and a tagging added to a message or a chat.
// A batch of events is evaluated chat by chat: the events of one chat in log
// order, different chats concurrently; the position moves past the batch
// when every chat is done. A crash before that evaluates the batch again,
// which the default engine's decisions survive (a chat assigned meanwhile is
// no longer fresh; assigning what is already there records nothing).
//
// What a batch needs from the database is read once for the whole batch,
// not per event: whether its chats are fresh (chatstates.go) and, for the
// custom engine, the messages of the payloads. The advance that moves the
// position also renews the lease and reads the configuration, so a busy
// engine writes once per batch.
//
// The default engine tries the Rules in (position, id) order; the first that
// matches wins. Round robin picks the group's next active member by user id
// under a row lock of round_robin_state, so replicas and concurrent chats
// never pick the same turn twice.
//
// The custom engine POSTs one payload per event to the configured URL (the
// outbound policy of webhooks: no private destinations unless allowed) and
// applies the assignments it answers. Failures (no answer, a non-2xx status,
// an unreadable body, an "error" field, an unknown id) assign nothing and are
// recorded as the engine's last error, counted in a metric and logged;
// transport failures (no answer, 502/503/504) are retried with backoff a few
// times, then given up, so a broken engine never stops the log.
//
// Every assignment the engine makes carries a reason (openapi.yaml,
// AssignmentReason): the rule that matched, or the custom engine's answer and
// its latency.
package rules
