package waba

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The Go work of one inbound request, without HTTP or the database: what
// a provider notification costs wamux's CPU before it reaches the
// committer (make bench runs these next to `wamux bench`). The text
// message's parse is BenchmarkParseNotification in inbound_test.go.

func BenchmarkParseNotificationStatus(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "inbound", "cloud", "status_delivered.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseNotification(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "inbound", "cloud", "text.json"))
	if err != nil {
		b.Fatal(err)
	}
	const secret = "0123456789abcdef0123456789abcdef"
	sig := Sign(body, secret)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if !VerifySignature(body, sig, secret) {
			b.Fatal("signature does not verify")
		}
	}
}

func BenchmarkBuildInboundEnvelope(b *testing.B) {
	msg := map[string]any{"text": map[string]any{"body": "Hi, is my order on its way?"}}
	now := time.Unix(1718000037, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := BuildInboundEnvelope(DefaultBusiness(), "15550001234", "Alice Example", msg, now); err != nil {
			b.Fatal(err)
		}
	}
}
