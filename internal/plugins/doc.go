// Package plugins serves the public data of the plugins installed in the
// inbox (GET /api/v1/plugins/{type}/public/): read-only data a plugin
// exposes for use elsewhere, such as schemas or templates, with no user
// data in it (the reference, Plugins).
//
// A plugin is a separate service. The administrator installs it by naming
// its type and the URL of its public data in WAMUX_PLUGINS
// ("forms=http://127.0.0.1:9300/public/"); a type given without a URL is
// installed but publishes no public data. wamux forwards the caller's query
// parameters to that URL unchanged and answers the plugin's JSON object as
// `response`. The URL comes from the administrator, not from API callers,
// so it may point at a private address (plugins usually run beside wamux).
package plugins
