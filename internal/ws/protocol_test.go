package ws

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// FuzzParseTokenAuth feeds the first message of a connection, which anyone
// may send before authenticating, to its parser: it must never panic, must
// accept only a JSON object whose "token" is a non-blank string (and then
// return exactly that string), and its answer to anything else must be a
// valid "response" frame.
func FuzzParseTokenAuth(f *testing.F) {
	for _, seed := range []string{
		`{"token": "8aeb44f5a318542d32bb13019d68198467ee21f0"}`,
		`{"token": ""}`, `{"token": "   "}`, `{"token": 42}`, `{"token": null}`, `{"token": ["a"]}`,
		`{"Token": "x"}`, `{}`, `[]`, `null`, `"token"`, ``, `{`, `{"token": "a", "token": "b"}`,
		`{"token": "\u0000"}`, `{"token": "a\"b"}`, "\xff\xfe", `{"token": "x"} trailing`,
	} {
		f.Add(seed, true)
	}
	f.Add(`{"token": "x"}`, false)
	f.Fuzz(func(t *testing.T, data string, text bool) {
		typ := websocket.MessageText
		if !text {
			typ = websocket.MessageBinary
		}
		token, problem := parseTokenAuth(typ, []byte(data))
		if problem != "" {
			if token != "" {
				t.Fatalf("a problem (%q) and a token (%q)", problem, token)
			}
			var frame struct {
				Type, Status, Message string
			}
			if err := json.Unmarshal(responseFrame(problem), &frame); err != nil || frame.Type != "response" || frame.Status != "bad_request" || frame.Message != problem {
				t.Fatalf("response frame for %q: %+v, %v", problem, frame, err)
			}
			return
		}
		if !text || strings.TrimSpace(token) == "" {
			t.Fatalf("accepted %q from a %v message", token, typ)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(data), &obj); err != nil {
			t.Fatalf("accepted a message that is not JSON: %q", data)
		}
		var want string
		if err := json.Unmarshal(obj["token"], &want); err != nil || want != token {
			t.Fatalf("token %q, want %q (%v)", token, want, err)
		}
	})
}
