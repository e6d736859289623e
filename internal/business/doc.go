// Package business manages the WhatsApp Business account at the provider
// on behalf of the inbox: its message templates, the number's business
// profile (with its "about" text and photo) and the contacts check. The
// provider keeps all of it; wamux stores none of it and asks on every call,
// so what the API answers is what the provider holds.
//
// The service checks its input before anything reaches the provider (bad
// input answers 400 and changes nothing), translates between the API's
// names and the Cloud API's (business verticals) and turns the provider's
// answers into wamux's errors the way sending does: a refusal (4xx) is 400
// with the provider's message, a failure 502. Who may call what is
// internal/httpapi's to check (openapi.yaml: reading for everyone, changes
// and the photo for admins).
package business
