package waba

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file reads JSON that has already been validated as a whole. Calling
// json.Unmarshal level by level validates each level again, which made the
// inbound parser about six times slower than one decode of the body; a
// scanner that only has to find where values end needs one cheap pass per
// level instead. It still never indexes out of range, so input that was
// not validated gives an error, not a panic.

// member is one key and its raw value, without surrounding whitespace.
type member struct {
	key   string
	value json.RawMessage
}

// fields is a JSON object whose values are kept as raw bytes, so that each
// value is decoded only when wamux reads it and is otherwise kept
// unchanged. As with encoding/json, the last of duplicate keys wins.
type fields []member

// decodeObject splits raw, which must be a JSON object, into its members.
func decodeObject(raw json.RawMessage, path string) (fields, error) {
	if kind(raw) != '{' {
		return nil, fmt.Errorf("%s: want an object, got %s", path, kindName(raw))
	}
	b := bytes.TrimSpace(raw)
	f := make(fields, 0, 8)
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == '}' {
		return f, nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return nil, fmt.Errorf("%s: malformed object", path)
		}
		end := stringEnd(b, i)
		key, err := unquote(b[i:end])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, fmt.Errorf("%s: malformed object", path)
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return nil, fmt.Errorf("%s: malformed object", path)
		}
		vend := valueEnd(b, i)
		f = append(f, member{key: key, value: b[i:vend:vend]})
		i = skipSpace(b, vend)
		if i >= len(b) {
			break
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return f, nil
		default:
			return nil, fmt.Errorf("%s: malformed object", path)
		}
	}
	return nil, fmt.Errorf("%s: malformed object", path)
}

// decodeArray splits raw, which must be a JSON array, into its elements.
func decodeArray(raw json.RawMessage, path string) ([]json.RawMessage, error) {
	if kind(raw) != '[' {
		return nil, fmt.Errorf("%s: want an array, got %s", path, kindName(raw))
	}
	b := bytes.TrimSpace(raw)
	var elems []json.RawMessage
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == ']' {
		return elems, nil
	}
	for i < len(b) {
		vend := valueEnd(b, i)
		if vend == i {
			return nil, fmt.Errorf("%s: malformed array", path)
		}
		elems = append(elems, b[i:vend:vend])
		i = skipSpace(b, vend)
		if i >= len(b) {
			break
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return elems, nil
		default:
			return nil, fmt.Errorf("%s: malformed array", path)
		}
	}
	return nil, fmt.Errorf("%s: malformed array", path)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just past the value starting at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	default: // a number, true, false or null
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
		}
		return i
	}
}

// unquote decodes a JSON string. Most strings need no unescaping; the rest
// go through encoding/json, which also replaces invalid UTF-8 as it does
// everywhere else.
func unquote(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		inner := b[1 : len(b)-1]
		if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			return string(inner), nil
		}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", err
	}
	return s, nil
}

// get returns the value of key, nil if absent.
func (f fields) get(key string) json.RawMessage {
	for i := len(f) - 1; i >= 0; i-- {
		if f[i].key == key {
			return f[i].value
		}
	}
	return nil
}

// has reports whether key is present with a non-null value; a null counts
// as absent everywhere.
func (f fields) has(key string) bool {
	v := f.get(key)
	return v != nil && kind(v) != 'n'
}

// str returns the string at key, "" if absent.
func (f fields) str(path, key string) (string, error) {
	if !f.has(key) {
		return "", nil
	}
	raw := f.get(key)
	if kind(raw) != '"' {
		return "", fmt.Errorf("%s: want a string, got %s", join(path, key), kindName(raw))
	}
	s, err := unquote(raw)
	if err != nil {
		return "", fmt.Errorf("%s: %w", join(path, key), err)
	}
	return s, nil
}

// required returns the string at key, which must be present and not blank.
func (f fields) required(path, key string) (string, error) {
	if !f.has(key) {
		return "", fmt.Errorf("%s: missing %q", path, key)
	}
	s, err := f.str(path, key)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%s: %q is empty", path, key)
	}
	return s, nil
}

// array returns the elements of the array at key, nil if absent.
func (f fields) array(path, key string) ([]json.RawMessage, error) {
	if !f.has(key) {
		return nil, nil
	}
	return decodeArray(f.get(key), join(path, key))
}

// object returns the object at key, nil if absent.
func (f fields) object(path, key string) (fields, error) {
	if !f.has(key) {
		return nil, nil
	}
	return decodeObject(f.get(key), join(path, key))
}

// timestamp returns the POSIX seconds at key, 0 if absent. Providers send
// them as strings ("1718000037"); some send numbers; both are accepted.
func (f fields) timestamp(path, key string) (int64, error) {
	if !f.has(key) {
		return 0, nil
	}
	raw := f.get(key)
	text := string(raw)
	switch kind(raw) {
	case '"':
		s, err := unquote(raw)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", join(path, key), err)
		}
		text = strings.TrimSpace(s)
	case '0':
	default:
		return 0, fmt.Errorf("%s: want a string or a number, got %s", join(path, key), kindName(raw))
	}
	if ts, err := strconv.ParseInt(text, 10, 64); err == nil && ts >= 0 {
		return ts, nil
	}
	// A number written with a fraction or an exponent (1.718e9) is still a
	// time; keep its whole seconds.
	if x, err := strconv.ParseFloat(text, 64); err == nil && x >= 0 && x < math.MaxInt64/2 {
		return int64(x), nil
	}
	return 0, fmt.Errorf("%s: %s is not a POSIX timestamp", join(path, key), truncate(string(raw), 40))
}
