package business

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/waba"
)

func TestVerticalsMapBothWays(t *testing.T) {
	t.Parallel()
	require.Len(t, verticals, 17, "the reference names 17 verticals")
	for _, v := range verticals {
		require.True(t, slices.Contains(waba.Verticals, v[1]), "%s is a Cloud API code", v[1])
		code, err := verticalCode(v[0])
		require.NoError(t, err)
		require.Equal(t, v[1], code)
		require.Equal(t, v[0], verticalName(code))
	}
	for _, code := range []string{"", "UNDEFINED", "NOT_A_BIZ", "SOMETHING_NEW"} {
		require.Equal(t, "Other", verticalName(code), "%q has no name of its own", code)
	}
	_, err := verticalCode("Bakery")
	require.Error(t, err)
}
