package seed

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line progress bar, redrawn in place with \r:
//
//	[############..................]  42% 420000/1000000 messages  12s
type progress struct {
	w     io.Writer
	total int
	unit  string
	start time.Time
	drawn time.Time
	last  int // units drawn last
}

const barWidth = 30

func newProgress(w io.Writer, total int, unit string) *progress {
	return &progress{w: w, total: total, unit: unit, start: time.Now()}
}

// update redraws the bar for done units, at most ten times a second
// (always for the last unit).
func (p *progress) update(done int) {
	if p.w == nil {
		return
	}
	now := time.Now()
	if done < p.total && now.Sub(p.drawn) < 100*time.Millisecond {
		return
	}
	p.drawn, p.last = now, done
	frac := 1.0
	if p.total > 0 {
		frac = float64(done) / float64(p.total)
	}
	filled := int(frac * barWidth)
	fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d %s  %s ",
		strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled),
		int(frac*100), done, p.total, p.unit, now.Sub(p.start).Round(time.Second))
}

// done ends the bar's line.
func (p *progress) done() {
	if p.w == nil {
		return
	}
	if p.last != p.total || p.drawn.IsZero() {
		p.update(p.total)
	}
	fmt.Fprintln(p.w)
}

// note prints a line of its own.
func note(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
