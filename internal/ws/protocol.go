package ws

import (
	"bytes"
	"encoding/json"

	"github.com/coder/websocket"

	"github.com/wamux/wamux/gen/api"
)

// The frames of the protocol, as openapi.yaml describes them under
// connectWebsocket (schemas WsTokenAuth, WsResponse, WsTokenResult and
// WsWabaWebhook).

// Messages of the "response" frames that answer a malformed Token
// authentication message.
const (
	problemNotText   = `Send the Token authentication message as a JSON text message: {"token": "..."}.`
	problemNotObject = `Expected a JSON object with a "token" field.`
	problemNoToken   = `The "token" field must be a non-empty string.`
)

// parseTokenAuth reads a Token authentication message: the token, or why
// the message is malformed.
func parseTokenAuth(typ websocket.MessageType, data []byte) (token, problem string) {
	if typ != websocket.MessageText {
		return "", problemNotText
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return "", problemNotObject
	}
	raw, ok := fields["token"]
	if !ok {
		return "", problemNotObject
	}
	if err := json.Unmarshal(raw, &token); err != nil || len(bytes.TrimSpace([]byte(token))) == 0 {
		return "", problemNoToken
	}
	return token, ""
}

func responseFrame(message string) []byte {
	b, _ := json.Marshal(api.WsResponse{Type: api.Response, Status: api.WsResponseStatusBadRequest, Message: message})
	return b
}

func tokenFrame(success bool, message string) []byte {
	status := api.WsTokenResultStatusFailed
	if success {
		status = api.WsTokenResultStatusSuccess
	}
	b, _ := json.Marshal(api.WsTokenResult{Type: api.Token, Status: status, Message: message})
	return b
}

// webhookFrame wraps a WABA Webhook payload, which is JSON already, as it
// is: decoding and encoding it again (api.WsWabaWebhook) would cost more
// than building it did.
func webhookFrame(payload []byte) []byte {
	const head, tail = `{"type":"waba_webhook","waba_payload":`, `}`
	b := make([]byte, 0, len(head)+len(payload)+len(tail))
	b = append(b, head...)
	b = append(b, payload...)
	return append(b, tail...)
}
