// Package webhooks manages per-user WABA Webhooks as a resource: one per
// user, its URL and event selection, its Standard Webhooks signing secret,
// its delivery health, the log of delivery attempts and replays. Delivering
// them is internal/fanout's job; this package tells every replica's
// deliverers about changes through the wamux_webhooks notification channel.
package webhooks
