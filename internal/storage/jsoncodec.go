package storage

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// trustStoredJSON makes conn read json and jsonb values into a
// json.RawMessage by copying them, where pgx's default runs
// json.Unmarshal, which scans every byte to validate what PostgreSQL
// already validated when it stored the value. The read paths scan raw
// payloads by the hundred (a chats page: a person and a message payload
// per chat), and that scan was a tenth of wamux's time for a chats page
// (BenchmarkListChats's profile; docs/performance.md). Values scanned into
// anything else are unmarshalled as before; writing is unchanged.
func trustStoredJSON(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	m.RegisterType(&pgtype.Type{Name: "json", OID: pgtype.JSONOID, Codec: &pgtype.JSONCodec{Marshal: json.Marshal, Unmarshal: unmarshalStored}})
	m.RegisterType(&pgtype.Type{Name: "jsonb", OID: pgtype.JSONBOID, Codec: &pgtype.JSONBCodec{Marshal: json.Marshal, Unmarshal: unmarshalStored}})
	return nil
}

func unmarshalStored(data []byte, v any) error {
	if raw, ok := v.(*json.RawMessage); ok {
		// pgx reuses data for the next row: copy it.
		*raw = append((*raw)[:0:0], data...)
		return nil
	}
	return json.Unmarshal(data, v)
}
