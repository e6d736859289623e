package ws

import "github.com/prometheus/client_golang/prometheus"

// metrics are the hub's Prometheus metrics.
type metrics struct {
	clients prometheus.GaugeFunc
	dropped prometheus.Counter
	frames  prometheus.Counter
	lag     prometheus.Histogram
}

func newMetrics(h *Hub) *metrics {
	return &metrics{
		clients: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "wamux_ws_clients", Help: "Websocket clients connected and authenticated on this replica.",
		}, func() float64 { return float64(len(h.subscribed())) }),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wamux_ws_slow_clients_dropped_total", Help: "Websocket clients disconnected because they did not keep up (queue overflow or write timeout).",
		}),
		frames: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wamux_ws_frames_total", Help: "waba_webhook frames queued to websocket clients.",
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wamux_ws_lag_seconds", Help: "Age of the oldest event of a page of the log when the hub queued it to its clients.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.clients, m.dropped, m.frames, m.lag}
}
