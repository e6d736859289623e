// Package ws is the websocket feed (GET /ws/): the reference's protocol
// for live front ends such as the web inbox.
//
// A client connects with no credentials and sends {"token": "..."} as its
// first text message, one of the API tokens the HTTP API takes (resolved
// by internal/auth exactly as an Authorization header is). A malformed
// message gets a "response" frame with status bad_request and the client
// may try again; otherwise a "token" frame says success or failed (and the
// connection closes on failure). From then on the client receives
// "waba_webhook" frames whose waba_payload is exactly the payload the
// user's WABA Webhook would carry with every event selected, built by the
// fan-out's own code (fanout.Feed). Unlike HTTP webhooks, nothing sent
// here marks a message received.
//
// One Hub runs per process. It reads the event log once for all of its
// clients, like a webhook deliverer: only below the horizon
// (events_horizon()), with an (xid, id) position kept in memory, woken by
// a LISTEN on the events channel and a timer. It starts at the log's head
// when the process starts, so a client sees what is committed while it is
// connected, not what came before. While no client is subscribed it reads
// no events (its position follows the head every PollInterval), so a new
// client may also get up to that much of what came just before it. Any
// number of replicas may run: each hub reads the whole log for its own
// clients.
//
// Permissions are those of the moment an event is sent: before every page
// of events the hub reads, in one statement for all of its clients, each
// client's token and user (active, read permission, groups), and each
// event's chat assignment is read with the page, so an assignment, a
// changed permission or a new group applies to the next event. A client
// whose token was revoked or whose user was deactivated is disconnected
// (close code 1008) at the next page, or within Config.RecheckInterval
// when no events flow.
//
// Backpressure: every client has a bounded queue of frames and a writer
// of its own. A client whose queue overflows, or whose socket accepts no
// frame within Config.WriteTimeout, is disconnected instead of holding the
// hub back: with close code 1013 ("try again later") when the close frame
// can still get through, else by cutting the connection. It may
// reconnect; what it missed is not replayed. Clients are pinged every
// Config.PingInterval and disconnected when no pong comes back in time.
// When the hub stops (graceful shutdown) every client is closed with 1001,
// going away.
package ws
