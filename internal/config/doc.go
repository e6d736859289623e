// Package config reads wamux's configuration from the environment once, at
// start, into a typed and validated Config that is passed down explicitly.
package config
