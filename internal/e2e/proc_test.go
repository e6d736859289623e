package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// output collects a process's stdout and stderr, line-buffered enough to
// search and to show in the test log.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) lines() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Split(strings.TrimRight(o.buf.String(), "\n"), "\n")
}

// proc is a running binary started by a test.
type proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	out  *output
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// stopTimeout bounds the graceful stop after SIGTERM; wamux is started with
// a shorter WAMUX_SHUTDOWN_TIMEOUT, so only a hung process is killed.
const stopTimeout = 15 * time.Second

// start runs binary with args and exactly env (plus the inherited PATH and
// HOME), its output captured. At cleanup it is stopped with SIGTERM (killed
// if it does not exit within stopTimeout) and, when the test failed, the
// tail of its output goes to the test log.
func start(t testing.TB, name, binaryPath string, args []string, env []string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, out: &output{}, done: make(chan struct{})}
	p.cmd = exec.Command(binaryPath, args...)
	p.cmd.Env = append(baseEnv(), env...)
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	setParentDeathSignal(p.cmd)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			p.dump()
		}
	})
	return p
}

// baseEnv is the part of the test's environment a child may inherit: no
// DATABASE_URL or WAMUX_* setting of the developer's shell leaks in.
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process gracefully, or kills it after stopTimeout.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		p.t.Errorf("%s did not exit within %s of SIGTERM; killed", p.name, stopTimeout)
		p.kill()
	}
}

// kill ends the process at once, as a crash would: no drain, no lease
// given back.
func (p *proc) kill() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// dump writes the last lines of the process's output to the test log.
func (p *proc) dump() {
	const keep = 150
	lines := p.out.lines()
	if len(lines) > keep {
		lines = append([]string{fmt.Sprintf("... (%d earlier lines)", len(lines)-keep)}, lines[len(lines)-keep:]...)
	}
	status := "running"
	if p.exited() {
		status = fmt.Sprintf("exited: %v", p.err)
	}
	p.t.Logf("---- %s (%s), output:\n%s", p.name, status, strings.Join(lines, "\n"))
}

// waitLine waits until a line of the output satisfies match and returns
// it; it fails the test if the process exits first or the deadline passes.
func (p *proc) waitLine(within time.Duration, what string, match func(line string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, l := range p.out.lines() {
			if match(l) {
				return l
			}
		}
		if p.exited() {
			p.dump()
			p.t.Fatalf("%s exited (%v) before %s", p.name, p.err, what)
		}
		if time.Now().After(deadline) {
			p.dump()
			p.t.Fatalf("%s: no %s within %s", p.name, what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
