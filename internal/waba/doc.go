// Package waba is the boundary to the WhatsApp Business API provider. It
// parses and normalises the provider's inbound notifications (the Cloud API
// envelope `entry[].changes[].value` and the On-Premise shape the reference
// shows, with top-level `contacts`, `messages`, `statuses`), verifies their
// authenticity, and talks to the provider through one Provider interface
// implemented for Meta's Cloud API, 360dialog and an in-process sandbox.
package waba
