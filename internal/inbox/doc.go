// Package inbox is wamux's domain: persons, chats, messages, statuses and
// received marks. It stores what the provider sends (the inbound path),
// records what inbox users send, and answers the reads of the API with the
// caller's read permission applied inside the SQL, so that counts and pages
// stay true. It owns its transactions.
package inbox
