package rules

import (
	"sync"
	"time"

	"github.com/wamux/wamux/gen/db"
)

// stateTTL is how long the assignment of a chat read for a batch stands in
// for reading it again. An incoming message is evaluated only in a fresh
// chat, and reading each chat alone cost a query per message; a batch
// reads them all at once (RuleChatAssignments) instead. The reading only
// spares work: the assignment that answers a fresh message is made only
// if the chat is still unassigned, checked under the chat's lock
// (ownership.AssignmentChange.OnlyIfUnassigned), so a person who took the
// chat after the reading keeps it. Past the TTL (a slow custom engine) a
// chat is read again before the engine is called for it.
const stateTTL = 100 * time.Millisecond

// chatState is a chat's assignment as the engine last knew it.
type chatState struct {
	exists bool // false: no such chat (pruned meanwhile)
	user   *int64
	group  *int64
}

// fresh is the reference's "fresh incoming message": its chat has neither
// an assigned user nor a group.
func (s chatState) fresh() bool { return s.user == nil && s.group == nil }

// chatStates is what a batch knows of its chats: the reading at its start,
// then the engine's own assignments (for any chat, a custom engine may
// assign others than the event's), each valid for ttl after it was
// learned. Safe for the batch's concurrent chats.
type chatStates struct {
	ttl time.Duration
	now func() time.Time
	mu  sync.Mutex
	m   map[string]knownState
}

type knownState struct {
	chatState
	at time.Time
}

func newChatStates(ttl time.Duration) *chatStates {
	return &chatStates{ttl: ttl, now: time.Now, m: map[string]knownState{}}
}

// load records one batch reading: rows are the chats of ids that exist.
func (c *chatStates) load(ids []string, rows []db.RuleChatAssignmentsRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at := c.now()
	for _, id := range ids {
		c.m[id] = knownState{at: at}
	}
	for _, r := range rows {
		c.m[r.WaID] = knownState{chatState: chatState{exists: true, user: r.AssignedUserID, group: r.AssignedGroupID}, at: at}
	}
}

// get returns what is known of chat, if it was learned less than ttl ago.
func (c *chatStates) get(chat string) (chatState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[chat]
	if !ok || c.now().Sub(k.at) >= c.ttl {
		return chatState{}, false
	}
	return k.chatState, true
}

func (c *chatStates) set(chat string, s chatState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[chat] = knownState{chatState: s, at: c.now()}
}

func (c *chatStates) forget(chat string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, chat)
}
