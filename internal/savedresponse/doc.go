// Package savedresponse keeps the saved responses: canned replies that every
// inbox user may read and use, stored in PostgreSQL (table saved_responses).
//
// Anyone authenticated lists, reads and creates them; a saved response may
// be changed or deleted by the user who created it and by admins
// (openapi.yaml, "Who may call it"). Its `created_by` is the creator's
// username and its `timestamp` the moment it was created, as in the
// reference's SavedResponse.
package savedresponse
