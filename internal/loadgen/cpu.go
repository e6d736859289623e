package loadgen

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"
)

// clockTick is Linux's USER_HZ, the unit of /proc's CPU times; it is 100
// on every architecture Go supports.
const clockTick = 10 * time.Millisecond

// CPU is a reading of cumulative CPU time from /proc. Readings are only
// meaningful as differences (Usage).
type CPU struct {
	// OK is false where /proc is not available (not Linux).
	OK bool
	// At is when it was read.
	At time.Time
	// Busy is the machine's non-idle time over all cores.
	Busy time.Duration
	// Self is this process's time (user and system).
	Self time.Duration
	// tracked holds the time of each process asked for, by pid.
	tracked map[int]time.Duration
}

// ReadCPU reads the machine's and this process's CPU time, and that of the
// processes tracked: the database server's processes that serve the run,
// since other programs may share the machine and other databases the
// server. Without pids it tracks every process named "postgres".
func ReadCPU(tracked ...int) CPU {
	if len(tracked) == 0 {
		tracked = processesNamed("postgres")
	}
	c := CPU{At: time.Now(), tracked: make(map[int]time.Duration, len(tracked))}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c
	}
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return c
	}
	var total, idle int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(string(v), 10, 64)
		if i >= 8 { // guest times are already counted in user and nice
			break
		}
		total += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	c.Busy = time.Duration(total-idle) * clockTick
	if self, ok := procTimes("/proc/self/stat"); ok {
		c.Self = self
	}
	for _, pid := range tracked {
		if t, ok := procTimes("/proc/" + strconv.Itoa(pid) + "/stat"); ok {
			c.tracked[pid] = t
		}
	}
	c.OK = true
	return c
}

// processesNamed returns the pids of the processes whose command is name.
func processesNamed(name string) []int {
	paths, _ := filepath.Glob("/proc/[0-9]*/comm")
	var pids []int
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || string(bytes.TrimSpace(b)) != name {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// procTimes returns the user+system time of the process whose
// /proc/PID/stat is at path.
func procTimes(path string) (time.Duration, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses,
	// so split after the last ')'.
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, false
	}
	f := bytes.Fields(b[end+1:])
	// After comm: state(0) ppid pgrp session tty_nr tpgid flags minflt
	// cminflt majflt cmajflt utime(11) stime(12).
	if len(f) < 13 {
		return 0, false
	}
	u, _ := strconv.ParseInt(string(f[11]), 10, 64)
	s, _ := strconv.ParseInt(string(f[12]), 10, 64)
	return time.Duration(u+s) * clockTick, true
}

// Usage is the CPU used between two readings, in cores (1.0 is one core
// busy the whole time).
type Usage struct {
	OK bool
	// Cores is how many the machine has.
	Cores int
	// Busy is the whole machine; Self this process (the server under test
	// and the load generator when they share it); Tracked the tracked
	// processes; Other everything else: other programs, and tracked
	// processes that ended before the later reading.
	Busy, Self, Tracked, Other float64
}

// Since returns the usage from an earlier reading to c. A process tracked
// only by c started in between, so all of its time counts.
func (c CPU) Since(earlier CPU) Usage {
	wall := c.At.Sub(earlier.At).Seconds()
	if !c.OK || !earlier.OK || wall <= 0 {
		return Usage{}
	}
	per := func(d time.Duration) float64 { return max(d.Seconds()/wall, 0) }
	var tracked time.Duration
	for pid, t := range c.tracked {
		tracked += t - earlier.tracked[pid]
	}
	u := Usage{
		OK: true, Cores: runtime.NumCPU(),
		Busy: per(c.Busy - earlier.Busy), Self: per(c.Self - earlier.Self), Tracked: per(tracked),
	}
	u.Other = max(u.Busy-u.Self-u.Tracked, 0)
	return u
}
