package fanout

// Crash stops e the way a killed process stops (see crash).
func (e *Engine) Crash() { e.crash() }
