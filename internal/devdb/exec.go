package devdb

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// commandTimeout bounds every external command. initdb is the slowest, a few
// seconds on a normal disk; a minute leaves room for a loaded CI machine.
const commandTimeout = 60 * time.Second

// run runs name with args, bounded by timeout, and returns its combined
// output. On failure the output is part of the error, because that is where
// PostgreSQL's tools explain what went wrong.
func run(ctx context.Context, timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// pg_ctl leaves a server running; should a child ever keep our output pipe
	// open, stop waiting for it rather than hang.
	cmd.WaitDelay = 5 * time.Second
	// A neutral working directory: when the command runs as another user, that
	// user may not be allowed into ours, and initdb complains about it.
	cmd.Dir = "/"

	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// runAs runs name with args as the system user runUser, or as the current
// user when runUser is empty. It prefers runuser(1), which needs no shell and
// no PAM session, and falls back to su(1) where runuser is missing.
func runAs(ctx context.Context, timeout time.Duration, runUser, name string, args ...string) (string, error) {
	if runUser == "" {
		return run(ctx, timeout, name, args...)
	}
	if path, err := exec.LookPath("runuser"); err == nil {
		return run(ctx, timeout, path, append([]string{"-u", runUser, "--", name}, args...)...)
	}
	words := make([]string, 0, len(args)+1)
	for _, w := range append([]string{name}, args...) {
		words = append(words, shellQuote(w))
	}
	return run(ctx, timeout, "su", runUser, "-s", "/bin/sh", "-c", strings.Join(words, " "))
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
