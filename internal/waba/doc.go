// Package waba is the boundary to the WhatsApp Business API provider. It
// parses and normalises the provider's inbound notifications (the Cloud API
// envelope `entry[].changes[].value` and the On-Premise shape the reference
// shows, with top-level `contacts`, `messages`, `statuses`), verifies their
// authenticity, and talks to the provider through one Provider interface
// implemented for Meta's Cloud API, 360dialog and an in-process sandbox.
// The same three implement Account, the management half: message
// templates, the business profile with its "about" text and photo, and
// the contacts check.
//
// The sandbox and cmd/wabasim, the standalone fake provider, build their
// webhook bodies with the same helpers (BuildInboundEnvelope,
// BuildStatusEnvelope, Sign), so simulated traffic looks like Meta's and
// takes the same route through wamux as real traffic.
package waba
