package e2e

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the child if the test binary dies first (a
// panic or a -timeout), so no server outlives the run.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
