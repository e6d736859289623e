package media_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/media"
	"github.com/wamux/wamux/internal/waba"
)

// fakeProvider implements waba.Provider's media half in memory.
type fakeProvider struct {
	mu        sync.Mutex
	files     map[string]fakeFile
	failFirst map[string]int // provider id -> downloads that fail before one succeeds
	downloads map[string]int
	uploads   int
	// uploadDelay makes uploads slow, so that concurrent callers overlap.
	uploadDelay time.Duration
	// uploadErr, when set, is every upload's answer.
	uploadErr error
}

type fakeFile struct {
	data     []byte
	mimeType string
}

func newFakeProvider() *fakeProvider {
	return &fakeProvider{files: map[string]fakeFile{}, failFirst: map[string]int{}, downloads: map[string]int{}}
}

func (f *fakeProvider) Name() string { return "fake" }

func (f *fakeProvider) Send(context.Context, waba.OutgoingMessage) (waba.SendResult, error) {
	return waba.SendResult{}, errors.New("fake provider: Send is not used here")
}

func (f *fakeProvider) UploadMedia(_ context.Context, data []byte, mimeType, _ string) (string, error) {
	time.Sleep(f.uploadDelay)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.uploadErr != nil {
		return "", f.uploadErr
	}
	f.uploads++
	id := fmt.Sprintf("uploaded-%d", f.uploads)
	f.files[id] = fakeFile{data: data, mimeType: mimeType}
	return id, nil
}

func (f *fakeProvider) DownloadMedia(_ context.Context, id string) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.downloads[id]++
	if f.failFirst[id] > 0 {
		f.failFirst[id]--
		return nil, "", &waba.ProviderError{HTTPStatus: 500, Code: 131016, Message: "Service unavailable"}
	}
	file, ok := f.files[id]
	if !ok {
		return nil, "", &waba.ProviderError{HTTPStatus: 404, Code: 100, Message: "Unknown media id"}
	}
	return file.data, file.mimeType, nil
}

func (f *fakeProvider) add(id string, data []byte, mimeType string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[id] = fakeFile{data: data, mimeType: mimeType}
}

func (f *fakeProvider) downloadsOf(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.downloads[id]
}

func (f *fakeProvider) uploadCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.uploads
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

type bundle struct {
	pool     *pgxpool.Pool
	dir      string
	provider *fakeProvider
	svc      *media.Service
}

func setup(t *testing.T, tweak ...func(*media.Config)) *bundle {
	t.Helper()
	t.Parallel()
	b := &bundle{pool: dbtest.Pool(t), dir: filepath.Join(t.TempDir(), "media"), provider: newFakeProvider()}
	cfg := media.Config{
		Pool:     b.pool,
		Dir:      b.dir,
		Provider: b.provider,
		Logger:   slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BaseURL:  "http://wamux.test/",
	}
	for _, f := range tweak {
		f(&cfg)
	}
	b.svc = media.New(cfg)
	require.NoError(t, b.svc.EnsureDir())
	return b
}

// state reads a media row's fetch bookkeeping straight from the database.
func (b *bundle) state(t *testing.T, id uuid.UUID) (state string, attempts int, fetchErr string) {
	t.Helper()
	var e *string
	require.NoError(t, b.pool.QueryRow(t.Context(), "SELECT fetch_state, fetch_attempts, fetch_error FROM media WHERE id = $1", id).Scan(&state, &attempts, &e))
	if e != nil {
		fetchErr = *e
	}
	return state, attempts, fetchErr
}

func (b *bundle) inbound(t *testing.T, providerID string, data []byte, mimeType string) uuid.UUID {
	t.Helper()
	if data != nil {
		b.provider.add(providerID, data, mimeType)
	}
	id, err := b.svc.EnsureInbound(t.Context(), db.New(b.pool), providerID, mimeType, "", "")
	require.NoError(t, err)
	return id
}

func hexSum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

var jpeg = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}, make([]byte, 200)...)

func TestURL(t *testing.T) {
	svc := media.New(media.Config{BaseURL: "https://inbox.example.com/"})
	id := uuid.MustParse("497f6eca-6276-4993-bfeb-53cbbbba6f08")
	require.Equal(t, "https://inbox.example.com/api/v1/media/497f6eca-6276-4993-bfeb-53cbbbba6f08/", svc.URL(id))
}

func TestEnsureDirCreatesTheDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "var", "media")
	require.NoError(t, media.New(media.Config{Dir: dir}).EnsureDir())
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	require.Zero(t, fi.Mode().Perm()&^0o750, "at most rwxr-x---: %v", fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "the write probe is removed")

	require.Error(t, media.New(media.Config{}).EnsureDir(), "no directory configured")
}

func TestUploadStoresByContent(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	m1, err := b.svc.Upload(ctx, jpeg, "", "", 0)
	require.NoError(t, err)
	m2, err := b.svc.Upload(ctx, jpeg, "image/jpeg", "again.jpg", 0)
	require.NoError(t, err)
	require.NotEqual(t, m1.ID, m2.ID, "each upload is its own media")
	require.Equal(t, hexSum(jpeg), m1.SHA256)
	require.Equal(t, m1.SHA256, m2.SHA256)
	require.Equal(t, "image/jpeg", m1.MimeType)
	require.Equal(t, int64(len(jpeg)), m1.Size)
	require.Equal(t, media.StateFetched, m1.State)
	require.Equal(t, "again.jpg", m2.Filename)

	// One file on disk, fanned out by its digest, complete.
	var files []string
	require.NoError(t, filepath.WalkDir(b.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}))
	sum := m1.SHA256
	require.Equal(t, []string{filepath.Join(b.dir, sum[:2], sum[2:4], sum)}, files)

	f, got, err := b.svc.Open(ctx, m2.ID)
	require.NoError(t, err)
	defer f.Close()
	data, err := io.ReadAll(f)
	require.NoError(t, err)
	require.Equal(t, jpeg, data)
	require.Equal(t, m2.ID, got.ID)
}

func TestUploadLimits(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	_, err := b.svc.Upload(ctx, nil, "image/png", "", 0)
	require.ErrorIs(t, err, apperr.ErrInvalid)

	big := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), make([]byte, media.Limit(media.KindSticker))...)
	_, err = b.svc.Upload(ctx, big, "", "", 0)
	e, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindTooLarge, e.Kind)
	require.Contains(t, e.Detail, "image/webp stickers up to 500 KB")

	_, err = b.svc.Upload(ctx, []byte("GIF89a\x01\x00\x01\x00"), "image/gif", "x.gif", 0)
	e, ok = apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindUnsupported, e.Kind)
	require.Contains(t, e.Detail, "image/gif")
}

func TestGetUnknownID(t *testing.T) {
	b := setup(t)
	_, err := b.svc.Get(t.Context(), uuid.New())
	require.ErrorIs(t, err, apperr.ErrNotFound)
	_, _, err = b.svc.Open(t.Context(), uuid.New())
	require.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = b.svc.ProviderID(t.Context(), uuid.New())
	require.ErrorIs(t, err, apperr.ErrNotFound)
}

func TestInboundIsFetchedOnFirstRead(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	id := b.inbound(t, "wa-media-1", jpeg, "image/jpeg")
	again, err := b.svc.EnsureInbound(ctx, db.New(b.pool), "wa-media-1", "image/jpeg", "", "ignored.jpg")
	require.NoError(t, err)
	require.Equal(t, id, again, "idempotent on the provider's id")
	state, attempts, _ := b.state(t, id)
	require.Equal(t, media.StatePending, state)
	require.Zero(t, attempts)
	require.Zero(t, b.provider.downloadsOf("wa-media-1"), "recording fetches nothing")

	f, m, err := b.svc.Open(ctx, id)
	require.NoError(t, err)
	defer f.Close()
	data, err := io.ReadAll(f)
	require.NoError(t, err)
	require.Equal(t, jpeg, data)
	require.Equal(t, media.StateFetched, m.State)
	require.Equal(t, "image/jpeg", m.MimeType)
	require.Equal(t, hexSum(jpeg), m.SHA256)
	require.Equal(t, "wa-media-1", m.ProviderMediaID)
	require.Equal(t, "ignored.jpg", m.Filename, "a replay fills in what was missing")

	_, err = b.svc.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, 1, b.provider.downloadsOf("wa-media-1"), "fetched once")

	// Concurrent first reads share one download.
	id2 := b.inbound(t, "wa-media-2", []byte("%PDF-1.4 shared"), "application/pdf")
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			_, err := b.svc.Get(ctx, id2)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Equal(t, 1, b.provider.downloadsOf("wa-media-2"))
}

func TestInboundReadFailuresAreBounded(t *testing.T) {
	b := setup(t, func(c *media.Config) { c.MaxAttempts = 2 })
	ctx := t.Context()
	id := b.inbound(t, "wa-gone", nil, "audio/ogg; codecs=opus") // the provider does not have it

	_, err := b.svc.Get(ctx, id)
	e, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindUpstream, e.Kind)
	state, attempts, fetchErr := b.state(t, id)
	require.Equal(t, media.StateFailed, state)
	require.Equal(t, 1, attempts)
	require.Contains(t, fetchErr, "Unknown media id")

	_, err = b.svc.Get(ctx, id)
	require.Error(t, err)
	_, err = b.svc.Get(ctx, id)
	require.Error(t, err)
	_, attempts, _ = b.state(t, id)
	require.Equal(t, 2, attempts, "no attempt beyond the cap")
	require.Equal(t, 2, b.provider.downloadsOf("wa-gone"))
	e, _ = apperr.As(err)
	require.Contains(t, e.Detail, "repeated attempts")

	// A failed media whose attempts remain is fetched on read.
	id2 := b.inbound(t, "wa-flaky", []byte("%PDF-1.4 flaky"), "application/pdf")
	b.provider.failFirst["wa-flaky"] = 1
	_, err = b.svc.Get(ctx, id2)
	require.Error(t, err)
	m, err := b.svc.Get(ctx, id2)
	require.NoError(t, err)
	require.Equal(t, media.StateFetched, m.State)
	_, _, fetchErr = b.state(t, id2)
	require.Empty(t, fetchErr, "success clears the last error")
}

func TestBackgroundFetcher(t *testing.T) {
	b := setup(t, func(c *media.Config) {
		c.FetchBatch = 2
		c.PollInterval = 20 * time.Millisecond
		c.MaxAttempts = 3
		c.RetryBase = 10 * time.Millisecond
		c.RetryMax = 40 * time.Millisecond
	})
	ids := map[string]uuid.UUID{}
	for i := range 5 {
		pid := fmt.Sprintf("wa-bg-%d", i)
		ids[pid] = b.inbound(t, pid, []byte(fmt.Sprintf("%%PDF-1.4 file %d", i)), "application/pdf")
	}
	b.provider.failFirst["wa-bg-3"] = 1 // one transient failure
	ids["wa-bg-missing"] = b.inbound(t, "wa-bg-missing", nil, "image/jpeg")

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		b.svc.Run(ctx)
		close(done)
	}()
	b.svc.Kick()

	require.Eventually(t, func() bool {
		for pid, id := range ids {
			state, attempts, _ := b.state(t, id)
			if pid == "wa-bg-missing" {
				if state != media.StateFailed || attempts != 3 {
					return false
				}
			} else if state != media.StateFetched {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)

	// Retries stop at the cap.
	time.Sleep(150 * time.Millisecond)
	_, attempts, fetchErr := b.state(t, ids["wa-bg-missing"])
	require.Equal(t, 3, attempts)
	require.Contains(t, fetchErr, "Unknown media id")
	require.Equal(t, 3, b.provider.downloadsOf("wa-bg-missing"))
	require.Equal(t, 2, b.provider.downloadsOf("wa-bg-3"))
	_, attempts, _ = b.state(t, ids["wa-bg-3"])
	require.Equal(t, 2, attempts)
	for i := range 3 {
		require.Equal(t, 1, b.provider.downloadsOf(fmt.Sprintf("wa-bg-%d", i)))
	}
	f, _, err := b.svc.Open(t.Context(), ids["wa-bg-4"])
	require.NoError(t, err)
	data, _ := io.ReadAll(f)
	_ = f.Close()
	require.Equal(t, "%PDF-1.4 file 4", string(data))

	// A kick wakes it at once for new media.
	late := b.inbound(t, "wa-bg-late", []byte("%PDF-1.4 late"), "application/pdf")
	b.svc.Kick()
	require.Eventually(t, func() bool {
		state, _, _ := b.state(t, late)
		return state == media.StateFetched
	}, 5*time.Second, 10*time.Millisecond)

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestReplicasShareTheFetching(t *testing.T) {
	b := setup(t, func(c *media.Config) {
		c.FetchBatch = 3
		c.PollInterval = 10 * time.Millisecond
		c.RetryBase = time.Minute // a claimed row is leased well past the test
	})
	const n = 30
	ids := make([]uuid.UUID, n)
	for i := range n {
		pid := fmt.Sprintf("wa-rep-%d", i)
		ids[i] = b.inbound(t, pid, []byte(fmt.Sprintf("%%PDF-1.4 replica %d", i)), "application/pdf")
	}
	// A second replica: its own Service (and process state) on the same
	// database and provider.
	other := media.New(media.Config{Pool: b.pool, Dir: b.dir, Provider: b.provider, FetchBatch: 3,
		PollInterval: 10 * time.Millisecond, RetryBase: time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range []*media.Service{b.svc, other} {
		wg.Go(func() { s.Run(ctx) })
	}
	require.Eventually(t, func() bool {
		var fetched int
		require.NoError(t, b.pool.QueryRow(t.Context(), "SELECT count(*) FROM media WHERE fetch_state = 'fetched'").Scan(&fetched))
		return fetched == n
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	wg.Wait()
	for i := range n {
		require.Equal(t, 1, b.provider.downloadsOf(fmt.Sprintf("wa-rep-%d", i)), "media %d fetched once", i)
	}
}

func TestProviderIDUploadsOnce(t *testing.T) {
	b := setup(t)
	b.provider.uploadDelay = 50 * time.Millisecond
	ctx := t.Context()
	m, err := b.svc.Upload(ctx, jpeg, "", "photo.jpg", 0)
	require.NoError(t, err)
	require.Empty(t, m.ProviderMediaID)

	var wg sync.WaitGroup
	got := make([]string, 4)
	for i := range got {
		wg.Go(func() {
			pid, err := b.svc.ProviderID(ctx, m.ID)
			require.NoError(t, err)
			got[i] = pid
		})
	}
	wg.Wait()
	require.Equal(t, 1, b.provider.uploadCount())
	for _, pid := range got {
		require.Equal(t, "uploaded-1", pid)
	}
	pid, err := b.svc.ProviderID(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, "uploaded-1", pid)
	require.Equal(t, 1, b.provider.uploadCount(), "the provider id is kept")
	stored, err := b.svc.Get(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, "uploaded-1", stored.ProviderMediaID)
	require.Equal(t, jpeg, b.provider.files["uploaded-1"].data)
	require.Equal(t, "image/jpeg", b.provider.files["uploaded-1"].mimeType)

	// Inbound media already have a provider id: no upload.
	in := b.inbound(t, "wa-inbound-9", nil, "image/jpeg")
	pid, err = b.svc.ProviderID(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "wa-inbound-9", pid)
	require.Equal(t, 1, b.provider.uploadCount())
}

func TestProviderIDWithoutProvider(t *testing.T) {
	b := setup(t, func(c *media.Config) { c.Provider = nil })
	m, err := b.svc.Upload(t.Context(), jpeg, "", "", 0)
	require.NoError(t, err)
	_, err = b.svc.ProviderID(t.Context(), m.ID)
	e, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindUpstream, e.Kind)
}

func TestProviderIDUploadRefused(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	m, err := b.svc.Upload(ctx, jpeg, "", "", 0)
	require.NoError(t, err)

	b.provider.uploadErr = &waba.ProviderError{HTTPStatus: 400, Code: 131053, Message: "Media upload error"}
	_, err = b.svc.ProviderID(ctx, m.ID)
	e, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindInvalid, e.Kind)
	require.Contains(t, e.Detail, "Media upload error (code 131053)")

	b.provider.uploadErr = &waba.ProviderError{HTTPStatus: 503, Message: "Service unavailable"}
	_, err = b.svc.ProviderID(ctx, m.ID)
	e, ok = apperr.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, apperr.KindUpstream, e.Kind)

	b.provider.uploadErr = nil
	pid, err := b.svc.ProviderID(ctx, m.ID)
	require.NoError(t, err, "a failed upload is retried on the next send")
	require.Equal(t, "uploaded-1", pid)
}
