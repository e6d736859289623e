package media

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/wamux/wamux/internal/apperr"
)

// Kind is what WhatsApp can send a file as; each kind has its own size
// limit.
type Kind string

// The kinds of WhatsApp media messages.
const (
	KindImage    Kind = "image"
	KindAudio    Kind = "audio"
	KindVideo    Kind = "video"
	KindSticker  Kind = "sticker"
	KindDocument Kind = "document"
)

const (
	kb = 1 << 10
	mb = 1 << 20
)

// limits are WhatsApp's platform limits per kind. Animated stickers may be
// 500 KB and static ones 100 KB; both get the larger limit here, and the
// provider refuses a static sticker between the two when it is sent.
var limits = map[Kind]int64{
	KindImage:    5 * mb,
	KindAudio:    16 * mb,
	KindVideo:    16 * mb,
	KindSticker:  500 * kb,
	KindDocument: 100 * mb,
}

// Limit returns the largest file WhatsApp accepts for kind k, in bytes.
func Limit(k Kind) int64 { return limits[k] }

var kindNames = map[Kind]string{
	KindImage:    "images",
	KindAudio:    "audio files",
	KindVideo:    "videos",
	KindSticker:  "stickers",
	KindDocument: "documents",
}

// Detected types that only say "some container": the declared type or the
// filename may name the real format inside.
const (
	typeOctetStream = "application/octet-stream"
	typeText        = "text/plain"
	typeZip         = "application/zip"
	typeOLE         = "application/x-ole-storage" // legacy Microsoft Office files
	typeMP4         = "video/mp4"
)

// fileType is one type wamux accepts.
type fileType struct {
	mime string
	kind Kind
	exts []string
	// refines is the detected type this type is a more precise name for
	// (a .docx is detected as a ZIP archive), "" when the content alone
	// identifies it. A declared type or filename can only refine: it never
	// overrides what the content says.
	refines string
}

var fileTypes = []fileType{
	{"image/jpeg", KindImage, []string{".jpg", ".jpeg"}, ""},
	{"image/png", KindImage, []string{".png"}, ""},
	{"image/webp", KindSticker, []string{".webp"}, ""},
	// AAC in ADTS frames and MP3 are sniffed, but a file may start with
	// something else (raw AAC, junk before the first MP3 frame).
	{"audio/aac", KindAudio, []string{".aac"}, typeOctetStream},
	{"audio/mpeg", KindAudio, []string{".mp3"}, typeOctetStream},
	{"audio/amr", KindAudio, []string{".amr"}, ""},
	{"audio/mp4", KindAudio, []string{".m4a"}, typeMP4},
	{"audio/ogg", KindAudio, []string{".ogg", ".oga", ".opus"}, ""},
	{"video/mp4", KindVideo, []string{".mp4"}, ""},
	{"video/3gpp", KindVideo, []string{".3gp"}, ""},
	{"application/pdf", KindDocument, []string{".pdf"}, ""},
	{"text/plain", KindDocument, []string{".txt"}, ""},
	{"text/csv", KindDocument, []string{".csv"}, typeText},
	{"application/rtf", KindDocument, []string{".rtf"}, typeText},
	{"application/msword", KindDocument, []string{".doc"}, typeOLE},
	{"application/vnd.ms-excel", KindDocument, []string{".xls"}, typeOLE},
	{"application/vnd.ms-powerpoint", KindDocument, []string{".ppt"}, typeOLE},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", KindDocument, []string{".docx"}, typeZip},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", KindDocument, []string{".xlsx"}, typeZip},
	{"application/vnd.openxmlformats-officedocument.presentationml.presentation", KindDocument, []string{".pptx"}, typeZip},
	{"application/vnd.oasis.opendocument.text", KindDocument, []string{".odt"}, typeZip},
	{"application/vnd.oasis.opendocument.spreadsheet", KindDocument, []string{".ods"}, typeZip},
	{"application/vnd.oasis.opendocument.presentation", KindDocument, []string{".odp"}, typeZip},
	{"application/zip", KindDocument, []string{".zip"}, ""},
}

var (
	typesByMIME = map[string]fileType{}
	typesByExt  = map[string]fileType{}
)

func init() {
	for _, t := range fileTypes {
		typesByMIME[t.mime] = t
		for _, e := range t.exts {
			typesByExt[e] = t
		}
	}
}

// aliases are the other names clients (browsers, mostly) give accepted
// types.
var aliases = map[string]string{
	"image/jpg":                    "image/jpeg",
	"image/pjpeg":                  "image/jpeg",
	"audio/mp3":                    "audio/mpeg",
	"audio/x-m4a":                  "audio/mp4",
	"audio/m4a":                    "audio/mp4",
	"audio/x-aac":                  "audio/aac",
	"audio/opus":                   "audio/ogg",
	"application/ogg":              "audio/ogg",
	"video/3gp":                    "video/3gpp",
	"application/x-pdf":            "application/pdf",
	"text/comma-separated-values":  "text/csv",
	"text/rtf":                     "application/rtf",
	"application/x-zip-compressed": "application/zip",
}

// normalizeMIME returns the bare, lower-case, canonical name of a media
// type, "" when there is none.
func normalizeMIME(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if t, _, err := mime.ParseMediaType(s); err == nil {
		s = t
	} else {
		s, _, _ = strings.Cut(strings.ToLower(s), ";")
		s = strings.TrimSpace(s)
	}
	if a, ok := aliases[s]; ok {
		return a
	}
	return s
}

// sniff names the type of data from its content: net/http's sniffer
// (https://mimesniff.spec.whatwg.org) plus the signatures of WhatsApp
// formats it does not know.
func sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("#!AMR\n")):
		return "audio/amr"
	case len(data) >= 12 && string(data[4:8]) == "ftyp" && (string(data[8:11]) == "3gp" || string(data[8:11]) == "3g2"):
		// net/http names every ISO media file with an "mp4" compatible
		// brand video/mp4, 3GPP included: the major brand tells.
		return "video/3gpp"
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return typeOLE
	}
	t := normalizeMIME(http.DetectContentType(data))
	if t != typeOctetStream || len(data) < 2 {
		return t
	}
	switch {
	case data[0] == 0xFF && data[1]&0xF6 == 0xF0:
		// ADTS frame: 12 sync bits, then layer 00.
		return "audio/aac"
	case data[0] == 0xFF && data[1]&0xE0 == 0xE0 && data[1]&0x06 != 0:
		// MPEG audio frame without an ID3 tag: 11 sync bits, layer not 00.
		return "audio/mpeg"
	}
	return t
}

// detect decides the type of an uploaded file from its content, refined by
// the declared type and then the filename's extension when the content
// only names a container.
func detect(data []byte, declared, filename string) (fileType, error) {
	sniffed := sniff(data)
	declared = normalizeMIME(declared)
	var hints []fileType
	if t, ok := typesByMIME[declared]; ok {
		hints = append(hints, t)
	}
	if t, ok := typesByExt[strings.ToLower(path.Ext(filename))]; ok {
		hints = append(hints, t)
	}
	for _, h := range hints {
		if h.mime == sniffed || h.refines == sniffed {
			return h, nil
		}
	}
	if t, ok := typesByMIME[sniffed]; ok {
		return t, nil
	}
	name := sniffed
	if sniffed == typeOctetStream && declared != "" && declared != typeOctetStream {
		name = fmt.Sprintf("%s (declared as %s)", sniffed, declared)
	}
	return fileType{}, &apperr.Error{Kind: apperr.KindUnsupported, Detail: fmt.Sprintf(
		"Unsupported file type %s. WhatsApp accepts images (JPEG, PNG), audio (AAC, AMR, MP3, M4A, OGG), "+
			"video (MP4, 3GPP), stickers (WebP) and documents (PDF, text, CSV, RTF, Microsoft Office, OpenDocument, ZIP).", name)}
}

// checkSize enforces WhatsApp's limit for t's kind.
func checkSize(t fileType, size int64) error {
	limit := limits[t.kind]
	if size <= limit {
		return nil
	}
	return &apperr.Error{Kind: apperr.KindTooLarge, Detail: fmt.Sprintf(
		"The file is %s; WhatsApp accepts %s %s up to %s.", formatSize(size), t.mime, kindNames[t.kind], formatSize(limit))}
}

// formatSize renders a size in binary megabytes or kilobytes, the way
// WhatsApp states its limits.
func formatSize(n int64) string {
	switch {
	case n >= mb && n%mb == 0:
		return fmt.Sprintf("%d MB", n/mb)
	case n >= mb:
		return fmt.Sprintf("%.1f MB", float64(n)/mb)
	case n%kb == 0:
		return fmt.Sprintf("%d KB", n/kb)
	default:
		return fmt.Sprintf("%.1f KB", float64(n)/kb)
	}
}

// inline reports whether a browser may display a file of this type in
// place; anything else is served as an attachment.
func inline(mimeType string) bool {
	t := normalizeMIME(mimeType)
	switch {
	case t == "image/jpeg", t == "image/png", t == "image/webp", t == "image/gif":
		return true
	case strings.HasPrefix(t, "audio/"), strings.HasPrefix(t, "video/"):
		return true
	}
	return false
}
