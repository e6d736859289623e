package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/webhooks"
)

// privateDestination is how a failure recorded for the custom engine names
// a connection the outbound policy refused (webhooks.ErrPrivateDestination).
const privateDestination = "the rule engine address is private, loopback or link-local, which this server does not allow (WAMUX_WEBHOOK_ALLOW_PRIVATE)"

// newClient is the custom engine's HTTP client: the outbound policy of
// webhooks (internal/webhooks): no proxy, addresses checked when the
// socket connects (after DNS), and no redirects (a redirect is an answer
// that is not 2xx).
func newClient(allowPrivate bool) *http.Client {
	dialer := webhooks.GuardedDialer(5*time.Second, allowPrivate)
	tr := &http.Transport{Proxy: nil, DialContext: dialer.DialContext, ForceAttemptHTTP2: true,
		MaxIdleConnsPerHost: 32, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// callError is a failed call: transport failures are retried.
type callError struct {
	reason    string // metric label: transport, status, body, error
	msg       string
	transport bool
}

func (e *callError) Error() string { return e.msg }

// taggedMessage is an entry of the deprecated tagged_messages field.
type taggedMessage struct {
	Message json.RawMessage `json:"message"`
	NewTag  eventTag        `json:"new_tag"`
}

// message returns message id as the batch read it, or reads it alone (a
// message tagging known by its wamid only, or a batch whose reading
// failed); nil: no such message (pruned meanwhile).
func (e *Engine) message(ctx context.Context, b *batch, id int64) (*db.RuleEngineMessagesRow, error) {
	if m, ok := b.messages[id]; ok {
		return m, nil
	}
	rows, err := e.svc.q.RuleEngineMessages(ctx, []int64{id})
	if err != nil {
		return nil, fmt.Errorf("read message %d: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// readMessages reads the messages of a batch's events in one query for
// their custom engine payloads; on failure each is read on its own.
func (e *Engine) readMessages(ctx context.Context, b *batch, order []string, byChat map[string][]event) map[int64]*db.RuleEngineMessagesRow {
	var ids []int64
	for _, chat := range order {
		for _, ev := range byChat[chat] {
			if ev.MessageID == 0 || ev.Kind == kindChatTagging {
				continue
			}
			if st, ok := b.chats.get(chat); ok && ev.Kind == kindIncoming && !(st.exists && st.fresh()) {
				continue // not evaluated
			}
			ids = append(ids, ev.MessageID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := e.svc.q.RuleEngineMessages(ctx, ids)
	if err != nil {
		e.log.WarnContext(ctx, "messages of the batch not readable at once; read one by one", "error", err)
		return nil
	}
	out := make(map[int64]*db.RuleEngineMessagesRow, len(ids))
	for _, id := range ids {
		out[id] = nil // pruned, unless read below
	}
	for i := range rows {
		out[rows[i].ID] = &rows[i]
	}
	return out
}

// customPayload builds the body of a call for ev: the WABA Webhook payload
// with the one field of its kind (openapi.yaml, RuleEngineRequest). It
// returns the message the payload shows, if any.
func (e *Engine) customPayload(ctx context.Context, b *batch, ev event) ([]byte, *db.RuleEngineMessagesRow, error) {
	p := map[string]any{}
	var msgID int64
	switch ev.Kind {
	case kindIncoming, kindOutgoing:
		msgID = ev.MessageID
	case kindMessageTagging:
		msgID = ev.MessageID
		if msgID == 0 && ev.Wamid != "" {
			m, err := e.svc.q.RuleMessageByWamid(ctx, ev.Wamid)
			if err == nil {
				msgID = m.ID
			}
		}
	}
	var rendered json.RawMessage
	var row *db.RuleEngineMessagesRow
	if msgID != 0 {
		var err error
		if row, err = e.message(ctx, b, msgID); err != nil {
			return nil, nil, err
		}
		// A message pruned meanwhile (row nil): the provider's fields still go.
		if row != nil {
			if rendered, err = json.Marshal(e.svc.cfg.Presenter.Messages([]inbox.Message{messageOf(*row)})[0]); err != nil {
				return nil, nil, err
			}
		}
	}
	switch ev.Kind {
	case kindIncoming:
		if len(ev.Contact) > 0 && string(ev.Contact) != "null" {
			p["contacts"] = []json.RawMessage{ev.Contact}
		}
		if len(ev.Message) > 0 {
			p["messages"] = []json.RawMessage{ev.Message}
		}
		if rendered != nil {
			p["incoming_messages"] = []json.RawMessage{rendered}
		}
	case kindOutgoing:
		if rendered != nil {
			p["outgoing_messages"] = []json.RawMessage{rendered}
		}
	case kindMessageTagging:
		p["message_tagging"] = ev.Object
		if rendered != nil && ev.Tag != nil {
			p["tagged_messages"] = []taggedMessage{{Message: rendered, NewTag: *ev.Tag}}
		}
	case kindChatTagging:
		p["chat_tagging"] = ev.Object
	}
	body, err := json.Marshal(p)
	return body, row, err
}

// messageOf turns a FanoutMessages row into the inbox's Message (the
// fan-out's mapping is not exported).
func messageOf(r db.RuleEngineMessagesRow) inbox.Message {
	m := inbox.Message{
		ID: r.ID, Wamid: r.Wamid, ChatWaID: r.ChatWaID, FromUs: r.FromUs, Payload: r.WabaPayload, Context: r.Context,
		SentAt: r.SentAt, DeliveredAt: r.DeliveredAt, ReadAt: r.ReadAt, FailedAt: r.FailedAt, Errors: r.StatusErrors, Ts: r.Ts,
	}
	if r.ProfileName != nil {
		m.Contact = &inbox.Person{WaID: r.ChatWaID, ProfileName: *r.ProfileName, Initials: deref(r.Initials), Payload: r.PersonPayload, LastMessageAt: r.PersonLastMessageAt}
	}
	if r.SenderID != nil && r.SenderUsername != nil {
		m.Sender = &db.User{ID: *r.SenderID, Username: *r.SenderUsername, FirstName: deref(r.SenderFirstName), LastName: deref(r.SenderLastName),
			Email: deref(r.SenderEmail), Role: deref(r.SenderRole)}
	}
	var tags []struct {
		TaggingID int64           `json:"tagging_id"`
		ID        int64           `json:"id"`
		Name      string          `json:"name"`
		Color     *string         `json:"web_inbox_color"`
		Extra     json.RawMessage `json:"extra"`
	}
	_ = json.Unmarshal(r.Tags, &tags)
	for _, t := range tags {
		m.Tags = append(m.Tags, inbox.Tag{TaggingID: t.TaggingID, ID: t.ID, Name: t.Name, Color: t.Color, Extra: t.Extra})
	}
	return m
}

// answerItem is an entry of the custom engine's answer.
type answerItem struct {
	MessageID         *string `json:"message_id"`
	ChatID            *string `json:"chat_id"`
	User              *int64  `json:"user"`
	Group             *int64  `json:"group"`
	GroupAssignMethod *string `json:"group_assign_method"`
	raw               map[string]any
}

// parseAnswer reads and checks a whole answer: one malformed entry
// rejects it all.
func parseAnswer(body []byte) ([]answerItem, error) {
	var a struct {
		Assignment []json.RawMessage `json:"assignment"`
		Error      json.RawMessage   `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&a); err != nil {
		return nil, &callError{reason: "body", msg: "the answer is not a JSON object with an assignment list: " + snippet(body)}
	}
	if len(a.Error) > 0 && string(a.Error) != "null" {
		var msg string
		if json.Unmarshal(a.Error, &msg) != nil {
			msg = string(a.Error)
		}
		return nil, &callError{reason: "error", msg: "the rule engine answered an error: " + snip(msg)}
	}
	items := make([]answerItem, len(a.Assignment))
	for i, raw := range a.Assignment {
		it := &items[i]
		bad := func(why string) error {
			return &callError{reason: "body", msg: fmt.Sprintf("assignment[%d] %s: %s", i, why, snippet(raw))}
		}
		if json.Unmarshal(raw, it) != nil || json.Unmarshal(raw, &it.raw) != nil {
			return nil, bad("is not an object of the documented fields")
		}
		switch {
		case (it.MessageID == nil) == (it.ChatID == nil):
			return nil, bad("needs exactly one of message_id and chat_id")
		case it.User == nil && it.Group == nil:
			return nil, bad("needs user or group")
		case it.Group != nil && it.GroupAssignMethod == nil:
			return nil, bad("needs group_assign_method with group")
		case it.GroupAssignMethod != nil && *it.GroupAssignMethod != RoundRobin && *it.GroupAssignMethod != LetGroupDecide:
			return nil, bad(`has a group_assign_method other than "round_robin" and "let_group_decide"`)
		}
	}
	return items, nil
}

// call POSTs body once.
func (e *Engine) call(ctx context.Context, st claim, body []byte) ([]byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, &callError{reason: "transport", msg: "the URL is unusable"}
	}
	for k, v := range st.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wamux-rule-engine/1")
	start := time.Now()
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, time.Since(start), &callError{reason: "transport", msg: describe(err, st.timeout), transport: true}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	lat := time.Since(start)
	if err != nil {
		return nil, lat, &callError{reason: "transport", msg: describe(err, st.timeout), transport: true}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		c := resp.StatusCode
		return nil, lat, &callError{reason: "status", msg: fmt.Sprintf("HTTP %d: %s", c, snippet(b)),
			transport: c == http.StatusBadGateway || c == http.StatusServiceUnavailable || c == http.StatusGatewayTimeout}
	}
	return b, lat, nil
}

// callWithRetries calls until an answer, a failure that is not a
// transport failure, or Attempts; between attempts it backs off. ctx ending
// (shutdown) stops the retries, not the attempt in flight.
func (e *Engine) callWithRetries(ctx context.Context, st claim, body []byte) ([]byte, time.Duration, error) {
	var lastErr error
	for attempt := 1; ; attempt++ {
		b, lat, err := e.call(context.WithoutCancel(ctx), st, body)
		e.svc.metrics.callSeconds.Observe(lat.Seconds())
		if err == nil {
			return b, lat, nil
		}
		lastErr = err
		var ce *callError
		if !errors.As(err, &ce) || !ce.transport || attempt >= e.opts.Attempts || ctx.Err() != nil {
			return nil, lat, lastErr
		}
		d := e.opts.BackoffBase << (attempt - 1)
		d = d/2 + rand.N(d/2+1)
		select {
		case <-ctx.Done():
			return nil, lat, lastErr
		case <-time.After(d):
		}
	}
}

// evaluateCustom calls the custom engine for ev and applies its answer.
func (e *Engine) evaluateCustom(ctx context.Context, b *batch, ev event) {
	body, shown, err := e.customPayload(ctx, b, ev)
	if err != nil {
		e.log.ErrorContext(ctx, "rule engine payload not built", "event_id", ev.ID, "error", err)
		return
	}
	answer, lat, err := e.callWithRetries(b.stop, b.claim, body)
	if err != nil {
		e.fail(ctx, ev, err)
		return
	}
	items, err := parseAnswer(answer)
	if err != nil {
		e.fail(ctx, ev, err)
		return
	}
	for _, it := range items {
		chat := deref(it.ChatID)
		var lookupErr error
		switch {
		case it.MessageID != nil && shown != nil && *it.MessageID == shown.Wamid:
			chat = shown.ChatWaID // the message of the payload: its chat is known
		case it.MessageID != nil:
			m, err := e.svc.q.RuleMessageByWamid(ctx, *it.MessageID)
			chat, lookupErr = m.ChatWaID, err
		default:
			_, lookupErr = e.svc.q.RuleChatAssignment(ctx, chat)
		}
		if errors.Is(lookupErr, pgx.ErrNoRows) {
			e.fail(ctx, ev, &callError{reason: "unknown_id", msg: "the answer names an unknown message or chat: " + snip(deref(it.MessageID)+deref(it.ChatID))})
			continue
		}
		if lookupErr != nil {
			e.log.ErrorContext(ctx, "rule engine answer not applied", "event_id", ev.ID, "error", lookupErr)
			continue
		}
		t := target{User: it.User, Group: it.Group, Method: deref(it.GroupAssignMethod)}
		reason := map[string]any{"engine": ModeCustom, "latency_ms": lat.Milliseconds(), "answer": it.raw}
		e.apply(ctx, b, ev, chat, t, reason)
	}
}

func describe(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text carries the full URL
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Sprintf("no answer within %s", timeout)
	case errors.Is(err, webhooks.ErrPrivateDestination):
		return privateDestination
	}
	return err.Error()
}

func snip(s string) string {
	r := []rune(strings.Join(strings.Fields(strings.ToValidUTF8(s, "")), " "))
	if len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return string(r)
}

func snippet(b []byte) string { return snip(string(b)) }
