package e2e

import (
	"fmt"
	"net/http"
	"testing"
)

// The messaging core driven through wabasim, as a provider and an
// integration engineer drive it, over real processes (issue #3: "end-to-end
// tests and benchmarks drive wamux through it"). Each operation is one
// round trip through both processes, one at a time: these measure the
// latency of the whole path, not the server's capacity (`wamux bench`
// measures that with a load generator speaking the provider's wire format
// directly). `make bench` runs them with the other Go benchmarks:
//
//	go test -run '^$' -bench . ./internal/e2e/

// BenchmarkInboundThroughWabasim: wabasim posts a signed customer message
// to wamux and answers once wamux acknowledged it, i.e. committed it.
func BenchmarkInboundThroughWabasim(b *testing.B) {
	databaseURL, _ := newDatabase(b)
	n := startNode(b, "node", databaseURL)
	i := 0
	for b.Loop() {
		n.injectText(b, fmt.Sprintf("1555020%04d", i%1000), "Bench Customer", "Hello")
		i++
	}
	reportPerSecond(b, "messages/s")
}

// BenchmarkSendThroughWabasim: POST /api/v1/messages/ to a customer who
// wrote first; wamux sends it through wabasim's Cloud API and stores it.
// The statuses wabasim reports back travel the inbound path meanwhile.
func BenchmarkSendThroughWabasim(b *testing.B) {
	databaseURL, admin := newDatabase(b)
	n := startNode(b, "node", databaseURL)
	api := newClient(b, n.url, admin)
	const customer = "15550301001"
	n.injectText(b, customer, "Bench Customer", "Hello")
	body := map[string]any{"wa_id": customer, "text": map[string]any{"body": "Thanks, we are on it."}}
	for b.Loop() {
		if r := api.do(http.MethodPost, "/api/v1/messages/", body); r.Status != http.StatusCreated {
			b.Fatalf("send: %d %s", r.Status, r.Body)
		}
	}
	reportPerSecond(b, "sends/s")
}

func reportPerSecond(b *testing.B, unit string) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, unit)
	}
}
