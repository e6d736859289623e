package fanout

import "github.com/prometheus/client_golang/prometheus"

// metrics are the engine's Prometheus metrics.
type metrics struct {
	attempts   *prometheus.CounterVec
	events     prometheus.Counter
	postTime   prometheus.Histogram
	lag        prometheus.Histogram
	deliverers prometheus.GaugeFunc
	marks      prometheus.Counter
}

func newMetrics(e *Engine) *metrics {
	return &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wamux_webhook_attempts_total", Help: "Webhook POSTs, by result (ok: a 2xx answer).",
		}, []string{"result"}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wamux_webhook_events_delivered_total", Help: "Events delivered to webhooks (counted once per webhook).",
		}),
		postTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wamux_webhook_post_seconds", Help: "Latency of webhook POSTs, until the answer.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wamux_webhook_lag_seconds", Help: "Age of the oldest event of a delivered batch when its receiver answered 2xx: the delivery lag.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
		}),
		marks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wamux_webhook_received_marks_total", Help: "Received marks written for messages delivered to webhooks (one per user and chat of each flush).",
		}),
		deliverers: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "wamux_webhook_deliverers", Help: "Webhooks this replica delivers (holds the lease of).",
		}, func() float64 {
			e.mu.Lock()
			defer e.mu.Unlock()
			return float64(len(e.running))
		}),
	}
}

// Collectors are the engine's Prometheus metrics, to register where
// /metrics is served.
func (e *Engine) Collectors() []prometheus.Collector {
	m := e.metrics
	return []prometheus.Collector{m.attempts, m.events, m.postTime, m.lag, m.deliverers, m.marks}
}
