package media

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
)

// store writes data to disk under its SHA-256 and returns the hex digest
// and the file's path relative to the storage directory (slash-separated,
// as the database keeps it). Files fan out into two levels of directories
// named by the digest's first four hex digits, so that no directory grows
// huge. Identical content is stored once. A file appears under its final
// name only complete: it is written to a temporary file in the same
// directory, synced, then renamed.
func (s *Service) store(data []byte) (sum, rel string, err error) {
	h := sha256.Sum256(data)
	sum = hex.EncodeToString(h[:])
	rel = path.Join(sum[:2], sum[2:4], sum)
	full := s.fullPath(rel)
	if fi, err := os.Stat(full); err == nil && fi.Mode().IsRegular() && fi.Size() == int64(len(data)) {
		return sum, rel, nil
	}
	dir := filepath.Dir(full)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", "", fmt.Errorf("create media directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+sum[:8]+"-*")
	if err != nil {
		return "", "", fmt.Errorf("create media file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return "", "", fmt.Errorf("write media file: %w", err)
	}
	if err = tmp.Chmod(0o640); err != nil {
		return "", "", fmt.Errorf("chmod media file: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return "", "", fmt.Errorf("sync media file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return "", "", fmt.Errorf("close media file: %w", err)
	}
	if err = os.Rename(tmp.Name(), full); err != nil {
		return "", "", fmt.Errorf("rename media file: %w", err)
	}
	// Make the rename itself durable.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return sum, rel, nil
}

// fullPath turns a stored relative path into a path on disk.
func (s *Service) fullPath(rel string) string {
	return filepath.Join(s.cfg.Dir, filepath.FromSlash(rel))
}
