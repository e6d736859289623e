// Package ownership decides who owns a conversation and how it is labelled:
// tags, the taggings of messages and chats, and the assignment of chats to
// users and groups, with the history of each.
//
// Every change is made in one transaction that also appends its event to the
// event log (table events), so webhooks, websockets and the rule engine learn
// about it exactly when it commits:
//
//   - kind "message_tagging": payload {"event": <MessageTaggingEvent>, "tag":
//     {"id", "name", "extra"}}, with chat_wa_id and message_id set;
//   - kind "chat_tagging": payload {"event": <ChatTaggingEvent>, "tag": {...}},
//     with chat_wa_id set;
//   - kind "chat_assignment": payload the ChatAssignmentEvent itself, with
//     chat_wa_id set.
//
// Each event object is exactly an entry of the matching events endpoint
// (GET /api/v1/message_tagging_events/, /chat_tagging_events/,
// /chat_assignment_events/), rendered by a Presenter (internal/httpapi's).
//
// Permissions come from the caller's inbox.Viewer and are applied inside the
// SQL, as in internal/inbox: a chat or message the caller may not read answers
// NotFound, as if it did not exist.
package ownership
