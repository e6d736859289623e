package rules

import "github.com/prometheus/client_golang/prometheus"

// metrics are the engine's Prometheus metrics.
type metrics struct {
	evaluated   *prometheus.CounterVec
	assignments *prometheus.CounterVec
	failures    *prometheus.CounterVec
	callSeconds prometheus.Histogram
	lag         prometheus.Gauge
}

func newMetrics() *metrics {
	return &metrics{
		evaluated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wamux_rule_engine_events_total", Help: "Events evaluated by the rule engine, by engine and event kind.",
		}, []string{"engine", "kind"}),
		assignments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wamux_rule_engine_assignments_total", Help: "Chat assignments made by the rule engine.",
		}, []string{"engine"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wamux_rule_engine_failures_total", Help: "Rule engine failures (custom engine calls and assignments), by reason.",
		}, []string{"reason"}),
		callSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wamux_rule_engine_call_seconds", Help: "Latency of custom rule engine calls.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wamux_rule_engine_lag_seconds", Help: "Age of the last event the rule engine evaluated when it was evaluated.",
		}),
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.evaluated, m.assignments, m.failures, m.callSeconds, m.lag}
}
