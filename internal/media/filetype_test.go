package media

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/apperr"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	var (
		png   = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
		jpeg  = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}
		webp  = []byte("RIFF\x00\x00\x00\x00WEBPVP8 \x00\x00")
		mp4   = []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
		m4a   = []byte("\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom")
		gpp   = []byte("\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x00isommp41")
		ogg   = []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00")
		amr   = []byte("#!AMR\n\x3c\x91\x17\x16")
		adts  = []byte{0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC}
		mp3   = []byte("ID3\x03\x00\x00\x00\x00\x00\x00")
		mp3fr = []byte{0xFF, 0xFB, 0x90, 0x64, 0x00}
		pdf   = []byte("%PDF-1.7\n")
		zip   = []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00")
		ole   = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}
		text  = []byte("name,qty\nfoo,1\n")
		junk  = []byte{0x00, 0x01, 0x02, 0x03}
	)
	cases := []struct {
		name               string
		data               []byte
		declared, filename string
		want               string // "" = unsupported
	}{
		{"png", png, "", "", "image/png"},
		{"jpeg", jpeg, "", "", "image/jpeg"},
		{"jpeg declared with an alias", jpeg, "image/jpg", "", "image/jpeg"},
		{"webp is a sticker", webp, "", "", "image/webp"},
		{"mp4", mp4, "", "", "video/mp4"},
		{"m4a by name", m4a, "", "voice.m4a", "audio/mp4"},
		{"m4a by browser type", m4a, "audio/x-m4a", "", "audio/mp4"},
		{"3gpp", gpp, "", "", "video/3gpp"},
		{"ogg", ogg, "", "", "audio/ogg"},
		{"amr", amr, "", "", "audio/amr"},
		{"aac adts", adts, "", "", "audio/aac"},
		{"mp3 id3", mp3, "", "", "audio/mpeg"},
		{"mp3 frame", mp3fr, "", "", "audio/mpeg"},
		{"raw aac by declared type", junk, "audio/aac", "", "audio/aac"},
		{"pdf", pdf, "application/octet-stream", "x.bin", "application/pdf"},
		{"zip", zip, "", "", "application/zip"},
		{"docx by name", zip, "", "letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"xlsx by type", zip, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"doc by name", ole, "", "old.DOC", "application/msword"},
		{"xls by type", ole, "application/vnd.ms-excel", "", "application/vnd.ms-excel"},
		{"ole alone", ole, "", "", ""},
		{"text", text, "", "", "text/plain"},
		{"csv by name", text, "", "stock.csv", "text/csv"},
		{"csv with params", text, "text/csv; charset=utf-8", "", "text/csv"},
		{"declared type cannot override content", text, "image/png", "x.png", "text/plain"},
		{"jpeg claim on junk", junk, "image/jpeg", "x.jpg", ""},
		{"unknown junk", junk, "", "", ""},
		{"gif", []byte("GIF89a\x01\x00"), "", "", ""},
		{"html", []byte("<!DOCTYPE html><p>x"), "text/plain", "x.txt", ""},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), "image/svg+xml", "x.svg", ""},
	}
	for _, c := range cases {
		got, err := detect(c.data, c.declared, c.filename)
		if c.want == "" {
			e, ok := apperr.As(err)
			require.True(t, ok, "%s: %v", c.name, err)
			require.Equal(t, apperr.KindUnsupported, e.Kind, c.name)
			continue
		}
		require.NoError(t, err, c.name)
		require.Equal(t, c.want, got.mime, c.name)
	}
}

func TestCheckSize(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mime   string
		size   int64
		detail string // "" = within the limit
	}{
		{"image/png", 5 * mb, ""},
		{"image/png", 5*mb + 1, "The file is 5.0 MB; WhatsApp accepts image/png images up to 5 MB."},
		{"audio/ogg", 16 * mb, ""},
		{"audio/ogg", 17 * mb, "The file is 17 MB; WhatsApp accepts audio/ogg audio files up to 16 MB."},
		{"video/mp4", 20 * mb, "up to 16 MB"},
		{"image/webp", 500 * kb, ""},
		{"image/webp", 600 * kb, "The file is 600 KB; WhatsApp accepts image/webp stickers up to 500 KB."},
		{"application/pdf", 100 * mb, ""},
		{"application/pdf", 100*mb + 512, "documents up to 100 MB"},
	}
	for _, c := range cases {
		err := checkSize(typesByMIME[c.mime], c.size)
		if c.detail == "" {
			require.NoError(t, err, "%s %d", c.mime, c.size)
			continue
		}
		e, ok := apperr.As(err)
		require.True(t, ok)
		require.Equal(t, apperr.KindTooLarge, e.Kind)
		require.Contains(t, e.Detail, c.detail)
	}
}

func TestCleanFilename(t *testing.T) {
	t.Parallel()
	require.Equal(t, "report.pdf", cleanFilename(`C:\Users\me\report.pdf`))
	require.Equal(t, "passwd", cleanFilename("../../etc/passwd"))
	require.Equal(t, "ab.txt", cleanFilename("a\x00b\n.txt"))
	require.Empty(t, cleanFilename(".."))
	long := cleanFilename(string(bytes.Repeat([]byte("é"), 200)))
	require.Len(t, long, 254, "cut at a character boundary within 255 bytes")
}
