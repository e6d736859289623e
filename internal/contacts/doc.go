// Package contacts answers GET /api/v1/contacts/ and /contacts/{wa_id}/
// from Contact Providers: wamux keeps no contact book of its own, so these
// endpoints ask the providers that are connected (the reference, Contacts).
//
// A Provider searches and resolves contacts in its own data and pages in
// its own way; the Service asks every provider at once, merges the results
// and folds the providers' page positions into one opaque page token, so a
// client follows `next` without knowing how any provider pages.
//
// The built-in provider "persons" (Persons) offers wamux's own persons, the
// WhatsApp profiles of the customers who wrote in, as contacts. What a
// caller sees of them follows its can_read_chats exactly as
// GET /api/v1/persons/ does (internal/authz's rule, applied in the SQL), so
// the contacts endpoints show nobody the persons list would hide.
package contacts
