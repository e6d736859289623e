// Package loadgen sends HTTP load to a server and measures its answers:
// closed-loop throughput (connections sending back to back), open-loop
// latency at a fixed rate, and the latency of requests sent one at a time.
//
// Requests are prepared in full before a run and written straight to TCP
// connections, and answers are read with net/http's parser, as wrk does: on
// a small machine the generator shares the CPU with the server it
// measures, so it must cost as little as possible while the clock runs.
// It also reads the machine's CPU accounting (Linux /proc), to tell what
// bounded a run: the server's process, PostgreSQL, or something else.
package loadgen
