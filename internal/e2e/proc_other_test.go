//go:build !linux

package e2e

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux; the
// cleanups stop the children there.
func setParentDeathSignal(*exec.Cmd) {}
