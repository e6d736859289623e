// Package media stores the binary files of messages: uploads by inbox users
// and the media of inbound messages, fetched from the provider in the
// background (or on first read). Files live on disk under a configurable
// directory, named by their SHA-256; their metadata lives in the `media`
// table. It also gives the send path a provider media id for a wamux media
// id, uploading the file to the provider when needed.
package media
