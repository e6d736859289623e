package inbox

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCountCap(t *testing.T) {
	s := "%x%"
	require.Nil(t, countCap(nil, Page{Limit: 100}), "without a search every count is exact")
	require.Equal(t, int64(SearchCountBound), *countCap(&s, Page{Limit: 100}))
	require.Equal(t, int64(SearchCountBound), *countCap(&s, Page{Limit: 100, Offset: 899}))
	require.Equal(t, int64(1001), *countCap(&s, Page{Limit: 100, Offset: 900}), "offset+limit+1 keeps next right")
	require.Equal(t, int64(5101), *countCap(&s, Page{Limit: 100, Offset: 5000}))
}

func TestDecodeTags(t *testing.T) {
	tags, err := decodeTags(json.RawMessage(`[]`))
	require.NoError(t, err)
	require.Nil(t, tags)
	tags, err = decodeTags(json.RawMessage(`[{"tagging_id": 7, "id": 2, "name": "vip", "color": "#f00", "extra": {"a": 1}},
		{"tagging_id": 9, "id": 3, "name": "late", "color": null, "extra": null}]`))
	require.NoError(t, err)
	red := "#f00"
	require.Equal(t, []Tag{
		{TaggingID: 7, ID: 2, Name: "vip", Color: &red, Extra: json.RawMessage(`{"a": 1}`)},
		{TaggingID: 9, ID: 3, Name: "late"},
	}, tags)
	_, err = decodeTags(json.RawMessage(`{`))
	require.Error(t, err)
}
