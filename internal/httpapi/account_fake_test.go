package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wamux/wamux/internal/config"
)

// fakeAccount is a loopback WhatsApp provider for the account operations
// (templates, business profile, photo), in the wire format of Meta's Cloud
// API (flavour "cloud") or of 360dialog ("360dialog"), keeping its state in
// memory. failNext makes the next request fail with the given status.
type fakeAccount struct {
	flavour string
	srv     *httptest.Server

	mu        sync.Mutex
	templates []map[string]any
	profile   map[string]any
	uploads   map[string]int
	handles   map[string][]byte
	photo     []byte
	requests  []string
	failNext  int
}

const (
	fakeToken   = "EAAG-fake-token"
	fakeAPIKey  = "fake-d360-key"
	fakePhoneID = "110200300400500"
	fakeWABAID  = "109876543210987"
)

func newFakeAccount(t testing.TB, flavour string) *fakeAccount {
	f := &fakeAccount{flavour: flavour, uploads: map[string]int{}, handles: map[string][]byte{},
		profile: map[string]any{"about": "Hey there! I am using WhatsApp.", "address": "", "description": "", "email": "", "vertical": "UNDEFINED", "websites": []any{}}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// option configures wamux to use f as its provider.
func (f *fakeAccount) option() option {
	return func(c *config.Config) {
		c.Provider = f.flavour
		c.PhoneNumberID = fakePhoneID
		c.WABAID = fakeWABAID
		if f.flavour == "cloud" {
			c.ProviderURL, c.ProviderToken = f.srv.URL+"/v21.0", fakeToken
		} else {
			c.ProviderURL, c.ProviderToken = f.srv.URL, fakeAPIKey
		}
	}
}

func (f *fakeAccount) fail(status int) {
	f.mu.Lock()
	f.failNext = status
	f.mu.Unlock()
}

func (f *fakeAccount) requestLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func graphError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "AFake"}})
}

func (f *fakeAccount) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	path := r.URL.Path
	if f.flavour == "cloud" {
		path = strings.TrimPrefix(path, "/v21.0")
		want := "Bearer " + fakeToken
		if strings.HasPrefix(path, "/upload:") {
			want = "OAuth " + fakeToken
		}
		if r.Header.Get("Authorization") != want {
			graphError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token")
			return
		}
	} else if r.Header.Get("D360-API-KEY") != fakeAPIKey {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"meta": map[string]any{"developer_message": "Invalid api key", "success": false}})
		return
	}
	if f.failNext != 0 {
		status := f.failNext
		f.failNext = 0
		if status >= 500 {
			graphError(w, status, 2, "Service temporarily unavailable")
		} else {
			graphError(w, status, 100, "Invalid parameter")
		}
		return
	}
	profilePath, templatesPath, uploadsPath := "/whatsapp_business_profile", "/v1/configs/templates", "/uploads"
	if f.flavour == "cloud" {
		profilePath, templatesPath, uploadsPath = "/"+fakePhoneID+profilePath, "/"+fakeWABAID+"/message_templates", "/app/uploads"
	}
	body, _ := io.ReadAll(r.Body)
	switch {
	case path == profilePath && r.Method == http.MethodGet:
		out := map[string]any{"messaging_product": "whatsapp"}
		for k, v := range f.profile {
			out[k] = v
		}
		if f.photo != nil {
			out["profile_picture_url"] = "https://pps.whatsapp.net/v/t61/profile.jpg?oe=1"
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{out}})
	case path == profilePath && r.Method == http.MethodPost:
		var in map[string]any
		if json.Unmarshal(body, &in) != nil || in["messaging_product"] != "whatsapp" {
			graphError(w, http.StatusBadRequest, 100, "Invalid parameter")
			return
		}
		delete(in, "messaging_product")
		if h, ok := in["profile_picture_handle"].(string); ok {
			data, known := f.handles[h]
			if !known {
				graphError(w, http.StatusBadRequest, 100, "Invalid parameter")
				return
			}
			f.photo = data
			delete(in, "profile_picture_handle")
		}
		for k, v := range in {
			f.profile[k] = v
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
	case path == uploadsPath && r.Method == http.MethodPost:
		n, _ := strconv.Atoi(r.URL.Query().Get("file_length"))
		id := fmt.Sprintf("upload:%d?sig=S%d", len(f.uploads)+1, len(f.uploads)+1)
		f.uploads[id] = n
		writeJSON(w, http.StatusOK, map[string]any{"id": id})
	case strings.HasPrefix(path, "/upload:") && r.Method == http.MethodPost:
		id := strings.TrimPrefix(path, "/") + "?" + r.URL.RawQuery
		n, ok := f.uploads[id]
		if !ok || n != len(body) || r.Header.Get("file_offset") != "0" {
			graphError(w, http.StatusBadRequest, 100, "Invalid upload")
			return
		}
		h := "4::" + strconv.Itoa(len(f.handles)+1)
		f.handles[h] = body
		writeJSON(w, http.StatusOK, map[string]any{"h": h})
	case f.flavour == "cloud" && path == "/"+fakeWABAID:
		writeJSON(w, http.StatusOK, map[string]any{"message_template_namespace": "fake_namespace", "id": fakeWABAID})
	case path == templatesPath && r.Method == http.MethodGet:
		f.listTemplates(w, r)
	case path == templatesPath && r.Method == http.MethodPost:
		var t map[string]any
		_ = json.Unmarshal(body, &t)
		for _, o := range f.templates {
			if o["name"] == t["name"] && o["language"] == t["language"] {
				graphError(w, http.StatusBadRequest, 100, "Content in this language already exists")
				return
			}
		}
		t["id"], t["status"] = strconv.Itoa(len(f.templates)+1), "PENDING"
		f.templates = append(f.templates, t)
		if f.flavour == "cloud" {
			writeJSON(w, http.StatusOK, map[string]any{"id": t["id"], "status": "PENDING", "category": t["category"]})
			return
		}
		out := map[string]any{"namespace": "fake_namespace", "rejected_reason": "NONE", "status": "pending"}
		for k, v := range t {
			if k != "status" && k != "id" {
				out[k] = v
			}
		}
		writeJSON(w, http.StatusOK, out)
	case r.Method == http.MethodDelete && (path == templatesPath || strings.HasPrefix(path, templatesPath+"/")):
		name := r.URL.Query().Get("name")
		if f.flavour != "cloud" {
			name = strings.TrimPrefix(path, templatesPath+"/")
		}
		before := len(f.templates)
		f.templates = slices.DeleteFunc(f.templates, func(t map[string]any) bool { return t["name"] == name })
		if len(f.templates) == before {
			if f.flavour == "cloud" {
				graphError(w, http.StatusBadRequest, 100, "Invalid parameter")
			} else {
				writeJSON(w, http.StatusNotFound, map[string]any{"meta": map[string]any{"developer_message": "Template not found", "success": false}})
			}
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
	default:
		graphError(w, http.StatusNotFound, 100, "Unknown path "+r.Method+" "+r.URL.Path)
	}
}

// listTemplates answers in the flavour's shape: the Graph API's cursor
// pages, or 360dialog's limit/offset with a total and lower-case statuses.
func (f *fakeAccount) listTemplates(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if f.flavour == "cloud" {
		var matching []map[string]any
		for _, t := range f.templates {
			if q.Get("name") == "" || t["name"] == q.Get("name") {
				matching = append(matching, t)
			}
		}
		start, _ := strconv.Atoi(q.Get("after"))
		end := min(start+limit, len(matching))
		paging := map[string]any{"cursors": map[string]any{"before": strconv.Itoa(start), "after": strconv.Itoa(end)}}
		if end < len(matching) {
			paging["next"] = "https://graph.facebook.com/next"
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": matching[min(start, end):end], "paging": paging})
		return
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	page := []map[string]any{}
	for i := offset; i < len(f.templates) && i < offset+limit; i++ {
		t := map[string]any{"namespace": "fake_namespace", "rejected_reason": "NONE"}
		for k, v := range f.templates[i] {
			t[k] = v
		}
		t["status"] = strings.ToLower(t["status"].(string))
		page = append(page, t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(page), "limit": limit, "offset": offset, "total": len(f.templates), "waba_templates": page})
}
