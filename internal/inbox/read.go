package inbox

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/authz"
)

// Person is a customer.
type Person struct {
	WaID          string
	ProfileName   string
	Initials      string
	Payload       json.RawMessage
	LastMessageAt *time.Time
}

// Tag is a tag applied to a message or chat.
type Tag struct {
	TaggingID int64
	ID        int64
	Name      string
	Color     *string
	Extra     json.RawMessage
}

// Message is a stored message as a viewer sees it.
type Message struct {
	ID          int64
	Wamid       string
	ChatWaID    string
	FromUs      bool
	Sender      *db.User
	Payload     json.RawMessage
	Context     json.RawMessage
	SentAt      *time.Time
	DeliveredAt *time.Time
	ReadAt      *time.Time
	FailedAt    *time.Time
	Errors      json.RawMessage
	Ts          time.Time
	// Received is per viewer: outgoing messages always, incoming ones when
	// at or before the viewer's mark for the chat.
	Received bool
	Contact  *Person
	Tags     []Tag
}

// Chat is a conversation with one customer as a viewer sees it.
type Chat struct {
	WaID            string
	Contact         Person
	NewMessages     int64
	LastMessage     *Message
	AssignedUserID  *int64
	AssignedGroupID *int64
	Tags            []Tag
}

// Page is a limit/offset window.
type Page struct {
	Limit  int32
	Offset int32
}

// ChatFilter narrows the chats list.
type ChatFilter struct {
	Search        string
	AssignedToMe  bool
	AssignedGroup *int64
}

// SearchText is a message's text as messages.body_text stores it: folded
// to lower case, so that a search compares bytes (LIKE with a folded
// pattern) instead of lower-casing every row it reads as ILIKE does (about
// 0.5 µs a row against 0.07 in this database's locale; migration 00015).
// Every writer of body_text folds with this, and likePattern folds the
// phrase with it, so the two sides always agree.
func SearchText(text string) string {
	return strings.ToLower(text)
}

// likePattern turns a user's search phrase into a pattern matching it
// anywhere, with % and _ taken literally, folded as SearchText folds
// messages: LIKE against body_text, ILIKE against names (which the folding
// does not change).
func likePattern(phrase string) *string {
	if phrase == "" {
		return nil
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	p := "%" + r.Replace(SearchText(phrase)) + "%"
	return &p
}

// checkGroupFilter enforces "only groups the user is member of can be used".
func checkGroupFilter(v Viewer, g *int64) error {
	if g != nil && !v.InGroup(*g) {
		return apperr.Field("assigned_group", "You are not a member of this group.")
	}
	return nil
}

// ListChats returns the chats v may read, newest first, and their count
// (with a search, at most countCap: see SearchCountBound). The page, its
// last messages, tags and the count come from one statement.
func (s *Service) ListChats(ctx context.Context, v Viewer, f ChatFilter, p Page) ([]Chat, int64, error) {
	if err := checkGroupFilter(v, f.AssignedGroup); err != nil {
		return nil, 0, err
	}
	search := likePattern(f.Search)
	countLimit := countCap(search, p)
	cs, err := s.searchChats(ctx, v, f, search, countLimit)
	if err != nil {
		return nil, 0, err
	}
	pageCount := countLimit
	if cs.counted {
		pageCount = new(int64) // the page's statement counts nothing
	}
	rows, err := s.chatPage(ctx, v, f, search, cs, pageCount, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list chats: %w", err)
	}
	chats := make([]Chat, len(rows))
	for i, r := range rows {
		if chats[i], err = chatFromPageRow(r); err != nil {
			return nil, 0, err
		}
	}
	var count int64
	switch {
	case cs.counted:
		count = *countLimit
	case len(rows) > 0:
		count = rows[0].Total
	case p.Offset > 0:
		// An empty page past the end has no row to carry the count.
		count, err = s.q.ChatCount(ctx, db.ChatCountParams{
			UserID: v.UserID, ReadLevel: string(v.Permissions.CanReadChats), GroupIds: v.GroupIDs,
			AssignedToMe: f.AssignedToMe, AssignedGroup: f.AssignedGroup, Search: search, MessageChats: cs.chats,
			ProbeChats: cs.probe, CountCap: countLimit,
		})
		if err != nil {
			return nil, 0, fmt.Errorf("count chats: %w", err)
		}
	}
	return chats, count, nil
}

// chatSearchHits is how many matching messages ListChats reads to know
// every chat a search matches by its messages (3-23 ms for 2,000 on
// 1,000,000 messages).
const chatSearchHits = 2000

// chatSearch is how ChatPage finds the chats a search matches by their
// messages (see ChatPage's comment).
type chatSearch struct {
	// chats, when not nil, are the chats of every matching message.
	chats []string
	// probe: the word is spread over more chats than the count needs;
	// ChatPage probes each chat's messages instead of hashing the matches.
	probe bool
	// counted: those chats alone reach the count's cap, so the count is
	// the cap, without counting.
	counted bool
}

// searchChats reads up to chatSearchHits matching messages. Fewer: their
// chats are all the chats matching by messages. As many, in more distinct
// chats than the count's cap: the word is spread, probing finds a page's
// chats soon, and (for a viewer who reads every chat, unfiltered) the count
// is the cap. Otherwise (a frequent word in few chats, a customer's name
// say) the planner chooses.
func (s *Service) searchChats(ctx context.Context, v Viewer, f ChatFilter, search *string, countLimit *int64) (chatSearch, error) {
	if search == nil {
		return chatSearch{}, nil
	}
	hits, err := s.q.ChatSearchHits(ctx, db.ChatSearchHitsParams{Search: *search, HitsCap: chatSearchHits})
	if err != nil {
		return chatSearch{}, fmt.Errorf("search messages of chats: %w", err)
	}
	n := len(hits)
	slices.Sort(hits)
	chats := slices.Compact(hits)
	if n < chatSearchHits {
		if chats == nil {
			chats = []string{} // no match: an empty array, not NULL (which means "not known")
		}
		return chatSearch{chats: chats}, nil
	}
	if int64(len(chats)) < *countLimit {
		return chatSearch{}, nil
	}
	unfiltered := v.Permissions.CanReadChats == authz.All && !f.AssignedToMe && f.AssignedGroup == nil
	return chatSearch{probe: true, counted: unfiltered}, nil
}

// chatPage runs ChatPage, or ChatPageAll (the same rows, on generic
// plans) when v reads every chat and nothing filters the list.
func (s *Service) chatPage(ctx context.Context, v Viewer, f ChatFilter, search *string, cs chatSearch, countLimit *int64, p Page) ([]db.ChatPageRow, error) {
	if v.Permissions.CanReadChats == authz.All && !f.AssignedToMe && f.AssignedGroup == nil && search == nil {
		all, err := s.gq.ChatPageAll(ctx, db.ChatPageAllParams{UserID: v.UserID, Lim: p.Limit, Off: p.Offset})
		if err != nil {
			return nil, err
		}
		rows := make([]db.ChatPageRow, len(all))
		for i, r := range all {
			rows[i] = db.ChatPageRow(r)
		}
		return rows, nil
	}
	return s.q.ChatPage(ctx, db.ChatPageParams{
		UserID: v.UserID, ReadLevel: string(v.Permissions.CanReadChats), GroupIds: v.GroupIDs,
		AssignedToMe: f.AssignedToMe, AssignedGroup: f.AssignedGroup, Search: search, MessageChats: cs.chats,
		ProbeChats: cs.probe, CountCap: countLimit, Lim: p.Limit, Off: p.Offset,
	})
}

// GetChat returns one chat, or NotFound when it does not exist or v may not
// read it (the same answer, so existence does not leak).
func (s *Service) GetChat(ctx context.Context, v Viewer, waID string) (Chat, error) {
	r, err := s.q.ChatGet(ctx, db.ChatGetParams{UserID: v.UserID, WaID: waID, ReadLevel: string(v.Permissions.CanReadChats), GroupIds: v.GroupIDs})
	if errors.Is(err, pgx.ErrNoRows) {
		return Chat{}, apperr.NotFound("No chat matches the given query.")
	}
	if err != nil {
		return Chat{}, fmt.Errorf("get chat %s: %w", waID, err)
	}
	c := []Chat{{
		WaID: r.WaID, NewMessages: r.NewMessages, AssignedUserID: r.AssignedUserID, AssignedGroupID: r.AssignedGroupID,
		Contact: Person{WaID: r.WaID, ProfileName: r.ProfileName, Initials: r.Initials, Payload: r.PersonPayload, LastMessageAt: r.PersonLastMessageAt},
	}}
	var last []int64
	if r.LastMessageID != nil {
		last = []int64{*r.LastMessageID}
	}
	if err := s.completeChats(ctx, v, c, last); err != nil {
		return Chat{}, err
	}
	return c[0], nil
}

// completeChats loads the last messages and tags of a page of chats.
func (s *Service) completeChats(ctx context.Context, v Viewer, chats []Chat, lastIDs []int64) error {
	if len(chats) == 0 {
		return nil
	}
	if len(lastIDs) > 0 {
		rows, err := s.q.MessagesByIDs(ctx, db.MessagesByIDsParams{UserID: v.UserID, Ids: lastIDs})
		if err != nil {
			return fmt.Errorf("load last messages: %w", err)
		}
		msgs := make([]Message, len(rows))
		for i, r := range rows {
			msgs[i] = messageFromRow(db.MessageListRow(r))
		}
		if err := s.completeMessages(ctx, msgs, false); err != nil {
			return err
		}
		byChat := make(map[string]*Message, len(msgs))
		for i := range msgs {
			byChat[msgs[i].ChatWaID] = &msgs[i]
		}
		for i := range chats {
			chats[i].LastMessage = byChat[chats[i].WaID]
		}
	}
	ids := make([]string, len(chats))
	for i, c := range chats {
		ids[i] = c.WaID
	}
	tags, err := s.q.ChatTagsForChats(ctx, ids)
	if err != nil {
		return fmt.Errorf("load chat tags: %w", err)
	}
	byChat := map[string][]Tag{}
	for _, t := range tags {
		byChat[t.ChatWaID] = append(byChat[t.ChatWaID], Tag{TaggingID: t.TaggingID, ID: t.ID, Name: t.Name, Color: t.WebInboxColor, Extra: t.Extra})
	}
	for i := range chats {
		chats[i].Tags = byChat[chats[i].WaID]
	}
	return nil
}

func messageFromRow(r db.MessageListRow) Message {
	return Message{
		ID: r.ID, Wamid: r.Wamid, ChatWaID: r.ChatWaID, FromUs: r.FromUs, Payload: r.WabaPayload, Context: r.Context,
		SentAt: r.SentAt, DeliveredAt: r.DeliveredAt, ReadAt: r.ReadAt, FailedAt: r.FailedAt, Errors: r.StatusErrors,
		Ts: r.Ts, Received: r.Received, Sender: senderStub(r.SenderID),
	}
}

func senderStub(id *int64) *db.User {
	if id == nil {
		return nil
	}
	return &db.User{ID: *id}
}

// completeMessages loads senders, tags and (when withContact) contacts.
func (s *Service) completeMessages(ctx context.Context, msgs []Message, withContact bool) error {
	if len(msgs) == 0 {
		return nil
	}
	ids := make([]int64, len(msgs))
	var senderIDs []int64
	waIDs := map[string]bool{}
	for i, m := range msgs {
		ids[i] = m.ID
		if m.Sender != nil {
			senderIDs = append(senderIDs, m.Sender.ID)
		}
		waIDs[m.ChatWaID] = true
	}
	if len(senderIDs) > 0 {
		users, err := s.q.UserListByIDs(ctx, senderIDs)
		if err != nil {
			return fmt.Errorf("load senders: %w", err)
		}
		byID := make(map[int64]*db.User, len(users))
		for i := range users {
			byID[users[i].ID] = &users[i]
		}
		for i := range msgs {
			if msgs[i].Sender != nil {
				msgs[i].Sender = byID[msgs[i].Sender.ID]
			}
		}
	}
	tags, err := s.q.MessageTagsForMessages(ctx, ids)
	if err != nil {
		return fmt.Errorf("load message tags: %w", err)
	}
	byMsg := map[int64][]Tag{}
	for _, t := range tags {
		byMsg[t.MessageID] = append(byMsg[t.MessageID], Tag{TaggingID: t.TaggingID, ID: t.ID, Name: t.Name, Color: t.WebInboxColor, Extra: t.Extra})
	}
	for i := range msgs {
		msgs[i].Tags = byMsg[msgs[i].ID]
	}
	if withContact {
		list := make([]string, 0, len(waIDs))
		for id := range waIDs {
			list = append(list, id)
		}
		persons, err := s.q.PersonsByWaIDs(ctx, list)
		if err != nil {
			return fmt.Errorf("load contacts: %w", err)
		}
		byWa := make(map[string]*Person, len(persons))
		for _, p := range persons {
			byWa[p.WaID] = &Person{WaID: p.WaID, ProfileName: p.ProfileName, Initials: p.Initials, Payload: p.WabaPayload, LastMessageAt: p.LastMessageAt}
		}
		for i := range msgs {
			msgs[i].Contact = byWa[msgs[i].ChatWaID]
		}
	}
	return nil
}

// MessageFilter narrows the messages list.
type MessageFilter struct {
	WaID          string
	Since, Before *time.Time
	Search        string
	AssignedToMe  bool
	AssignedGroup *int64
	// MarkAsReceived marks the returned incoming messages received by the
	// viewer (after the page is read, so `received` shows what was new).
	MarkAsReceived bool
}

// ListMessages returns the messages v may read, newest first, and their
// count (with a search, at most countCap: see SearchCountBound).
func (s *Service) ListMessages(ctx context.Context, v Viewer, f MessageFilter, p Page) ([]Message, int64, error) {
	if err := checkGroupFilter(v, f.AssignedGroup); err != nil {
		return nil, 0, err
	}
	var waID *string
	if f.WaID != "" {
		waID = &f.WaID
	}
	list := db.MessageListParams{
		UserID: v.UserID, ReadLevel: string(v.Permissions.CanReadChats), GroupIds: v.GroupIDs,
		WaID: waID, SinceTime: f.Since, BeforeTime: f.Before, AssignedToMe: f.AssignedToMe, AssignedGroup: f.AssignedGroup,
		Search: likePattern(f.Search), Lim: p.Limit, Off: p.Offset,
	}
	var (
		rows  []db.MessageListRow
		count int64
		err   error
	)
	if list.Search != nil {
		rows, count, err = s.searchMessages(ctx, list, *countCap(list.Search, p))
	} else {
		rows, count, err = s.listMessages(ctx, list)
	}
	if err != nil {
		return nil, 0, err
	}
	msgs := make([]Message, len(rows))
	for i, r := range rows {
		msgs[i] = messageFromRow(r)
	}
	if err := s.completeMessages(ctx, msgs, true); err != nil {
		return nil, 0, err
	}
	if f.MarkAsReceived {
		newest := map[string]time.Time{}
		for _, m := range msgs {
			if !m.FromUs && m.Ts.After(newest[m.ChatWaID]) {
				newest[m.ChatWaID] = m.Ts
			}
		}
		for chat, ts := range newest {
			if err := s.q.ReceivedMarkSet(ctx, db.ReceivedMarkSetParams{UserID: v.UserID, ChatWaID: chat, ReceivedUntil: ts}); err != nil {
				return nil, 0, fmt.Errorf("mark received: %w", err)
			}
		}
	}
	return msgs, count, nil
}

// listMessages reads a page of messages and counts them all.
func (s *Service) listMessages(ctx context.Context, q db.MessageListParams) ([]db.MessageListRow, int64, error) {
	count, err := s.q.MessageCount(ctx, db.MessageCountParams{
		UserID: q.UserID, ReadLevel: q.ReadLevel, GroupIds: q.GroupIds, WaID: q.WaID, SinceTime: q.SinceTime,
		BeforeTime: q.BeforeTime, AssignedToMe: q.AssignedToMe, AssignedGroup: q.AssignedGroup,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("count messages: %w", err)
	}
	rows, err := s.q.MessageList(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("list messages: %w", err)
	}
	return rows, count, nil
}

// How searchMessages reads a page when there are more matches than it
// counts. Walking messages_ts_idx newest first (MessageList's plan for a
// frequent word) reads about (offset+limit) / density rows, at ~3 µs each
// when measured with ILIKE (a heap row in index order and the match; the
// match's part fell to a seventh with folded text and LIKE, migration
// 00015); reading every match by the trigram index and sorting them costs
// ~7 µs per match. PostgreSQL's costs take the match for far cheaper than
// it is, so it walks for words where that reads tens of thousands of rows:
// "invoice", 1,969 matches in 1,000,000 messages but few among the newest,
// took 72 ms walking against 14 ms by its matches.
const (
	// searchRecentSample is how many of the newest messages tell the
	// word's density where the walk starts (~6 ms).
	searchRecentSample = 2000
	// searchWalkBudget is how many rows the walk may be expected to read.
	searchWalkBudget = 20000
	// searchHitsBudget is how many matches are read and sorted at most
	// instead of walking.
	searchHitsBudget = 10000
)

// searchMessages reads a page of the messages matching q.Search and counts
// them up to limit. The matches come first (MessageSearchHits, at most
// limit): when there are fewer, they are all of them, and the page is
// sorted here and read by id, whatever the planner estimates. With more,
// a word dense among the newest messages is read by MessageList (walking
// them newest first stops after a few rows); a sparser one by all its
// matches again, up to searchHitsBudget of them.
func (s *Service) searchMessages(ctx context.Context, q db.MessageListParams, limit int64) ([]db.MessageListRow, int64, error) {
	hits, err := s.searchHits(ctx, q, limit)
	if err != nil {
		return nil, 0, err
	}
	count := int64(len(hits))
	if count < limit {
		rows, err := s.messagesByHits(ctx, q, hits)
		return rows, count, err
	}
	recent, err := s.q.MessageSearchRecent(ctx, db.MessageSearchRecentParams{Sample: searchRecentSample, Search: *q.Search})
	if err != nil {
		return nil, 0, fmt.Errorf("search recent messages: %w", err)
	}
	// The walk reads about need × sample / recent rows.
	need := int64(q.Off) + int64(q.Lim)
	if recent*searchWalkBudget < need*searchRecentSample && limit < searchHitsBudget {
		all, err := s.searchHits(ctx, q, searchHitsBudget)
		if err != nil {
			return nil, 0, err
		}
		if len(all) < searchHitsBudget {
			rows, err := s.messagesByHits(ctx, q, all)
			return rows, count, err
		}
	}
	rows, err := s.q.MessageList(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("list messages: %w", err)
	}
	return rows, count, nil
}

// searchHits returns at most limit matches of q.
func (s *Service) searchHits(ctx context.Context, q db.MessageListParams, limit int64) ([]db.MessageSearchHitsRow, error) {
	hits, err := s.q.MessageSearchHits(ctx, db.MessageSearchHitsParams{
		UserID: q.UserID, ReadLevel: q.ReadLevel, GroupIds: q.GroupIds, WaID: q.WaID, SinceTime: q.SinceTime,
		BeforeTime: q.BeforeTime, AssignedToMe: q.AssignedToMe, AssignedGroup: q.AssignedGroup,
		Search: *q.Search, HitsCap: limit,
	})
	if err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	return hits, nil
}

// messagesByHits reads the page of q from all of its matches.
func (s *Service) messagesByHits(ctx context.Context, q db.MessageListParams, hits []db.MessageSearchHitsRow) ([]db.MessageListRow, error) {
	ids := pageOfHits(hits, q.Off, q.Lim)
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := s.q.MessagesByIDs(ctx, db.MessagesByIDsParams{UserID: q.UserID, Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("read searched messages: %w", err)
	}
	// MessagesByIDs answers in no order; a message pruned in between is
	// missing from it and from the page.
	byID := make(map[int64]db.MessagesByIDsRow, len(found))
	for _, r := range found {
		byID[r.ID] = r
	}
	rows := make([]db.MessageListRow, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			rows = append(rows, db.MessageListRow(r))
		}
	}
	return rows, nil
}

// pageOfHits sorts hits as MessageList does (newest first, then the higher
// id) and returns the ids of the window [off, off+lim).
func pageOfHits(hits []db.MessageSearchHitsRow, off, lim int32) []int64 {
	slices.SortFunc(hits, func(a, b db.MessageSearchHitsRow) int {
		if c := b.Ts.Compare(a.Ts); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	if int(off) >= len(hits) {
		return nil
	}
	window := hits[off:min(len(hits), int(off)+int(lim))]
	ids := make([]int64, len(window))
	for i, h := range window {
		ids[i] = h.ID
	}
	return ids
}

// MarkReceived sets v's received mark for a chat it may read to ts; marks
// never move back.
func (s *Service) MarkReceived(ctx context.Context, v Viewer, waID string, ts int64) error {
	if _, err := s.GetChat(ctx, v, waID); err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return apperr.Field("customer_wa_id", "No chat with this customer that you may read.")
		}
		return err
	}
	if ts < 0 {
		return apperr.Field("timestamp", "Must be a POSIX timestamp (seconds).")
	}
	if err := s.q.ReceivedMarkSet(ctx, db.ReceivedMarkSetParams{UserID: v.UserID, ChatWaID: waID, ReceivedUntil: posix(ts)}); err != nil {
		return fmt.Errorf("mark received: %w", err)
	}
	return nil
}

// ListPersons returns the contacts of the chats v may read.
func (s *Service) ListPersons(ctx context.Context, v Viewer, search string, p Page) ([]Person, int64, error) {
	pat := likePattern(search)
	count, err := s.q.PersonCount(ctx, db.PersonCountParams{UserID: v.UserID, ReadLevel: string(v.Permissions.CanReadChats), GroupIds: v.GroupIDs, Search: pat})
	if err != nil {
		return nil, 0, fmt.Errorf("count persons: %w", err)
	}
	rows, err := s.q.PersonList(ctx, db.PersonListParams{UserID: v.UserID, ReadLevel: string(v.Permissions.CanReadChats), GroupIds: v.GroupIDs, Search: pat, Lim: p.Limit, Off: p.Offset})
	if err != nil {
		return nil, 0, fmt.Errorf("list persons: %w", err)
	}
	out := make([]Person, len(rows))
	for i, r := range rows {
		out[i] = Person{WaID: r.WaID, ProfileName: r.ProfileName, Initials: r.Initials, Payload: r.WabaPayload, LastMessageAt: r.LastMessageAt}
	}
	return out, count, nil
}

// GetPerson returns the contact of a chat v may read.
func (s *Service) GetPerson(ctx context.Context, v Viewer, waID string) (Person, error) {
	c, err := s.GetChat(ctx, v, waID)
	if errors.Is(err, apperr.ErrNotFound) {
		return Person{}, apperr.NotFound("No person matches the given query.")
	}
	if err != nil {
		return Person{}, err
	}
	return c.Contact, nil
}
