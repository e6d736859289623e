package waba

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// SignatureHeader is the header in which Meta signs a Cloud API webhook.
const SignatureHeader = "X-Hub-Signature-256"

const signaturePrefix = "sha256="

// Sign returns the SignatureHeader value Meta sends with body: "sha256="
// and the lowercase hex HMAC-SHA256 of body keyed with appSecret.
func Sign(body []byte, appSecret string) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether header, the SignatureHeader of a webhook
// request, signs body with appSecret. body must be the bytes exactly as
// received. A missing or malformed header is false, and so is an empty
// appSecret: a blank secret is a configuration mistake, and accepting
// signatures made with it would let anyone forge them.
func VerifySignature(body []byte, header, appSecret string) bool {
	if appSecret == "" || len(header) != len(signaturePrefix)+2*sha256.Size {
		return false
	}
	if !strings.EqualFold(header[:len(signaturePrefix)], signaturePrefix) {
		return false
	}
	got, err := hex.DecodeString(header[len(signaturePrefix):])
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// VerifyChallenge answers the Cloud API's GET verification handshake: when
// mode is "subscribe" and token equals the configured verifyToken it
// returns the challenge to echo and true. An empty verifyToken verifies
// nothing.
func VerifyChallenge(mode, token, challenge, verifyToken string) (string, bool) {
	if mode != "subscribe" || verifyToken == "" {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(verifyToken)) != 1 {
		return "", false
	}
	return challenge, true
}
