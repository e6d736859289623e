package waba

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fixtureFiles returns the inbound fixtures under testdata, copied from
// the shared WhatsApp fixture set.
func fixtureFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"cloud", "onprem"} {
		m, err := filepath.Glob(filepath.Join("testdata", "inbound", dir, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, m, "no fixtures in testdata/inbound/%s", dir)
		files = append(files, m...)
	}
	return files
}

type msgWant struct {
	id, from      string
	ts            int64
	typ, text     string
	mediaID, mime string
	context       bool
	phone         string
}

type statusWant struct {
	id, recipient, status string
	ts                    int64
	errorCodes            []int
}

type fixtureWant struct {
	contacts   []string // "wa_id/profile name"
	messages   []msgWant
	statuses   []statusWant
	errorCodes []int
}

// fixtureWants lists, for every inbound fixture, the normalised fields
// ParseNotification must produce. The values were read off the fixtures;
// Text follows the rules in types.go.
func fixtureWants() map[string]fixtureWant {
	return map[string]fixtureWant{
		"cloud/audio.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQ1QzgzNzRGM0Q1OENDNkY1MDFEQgA=", from: "15550001234", ts: 1718000222, typ: "audio", text: "", mediaID: "8748485972802184", mime: "audio/mpeg", phone: "110200300400500"},
			},
		},
		"cloud/audio_voice.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQ2QjFBODYxQ0QyNDMyMTNFMzFCNgA=", from: "15550001234", ts: 1718000259, typ: "audio", text: "", mediaID: "4494349578091972", mime: "audio/ogg; codecs=opus", phone: "110200300400500"},
			},
		},
		"cloud/button_template_quick_reply.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRCNkRBRDhEM0YyRjYzMzgxNzQ3QwA=", from: "15550001234", ts: 1718000666, typ: "button", text: "Track order", context: true, phone: "110200300400500"},
			},
		},
		"cloud/contacts.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRGQTM2QzY4RTlBNzE1ODc3OEQ4QQA=", from: "15550001234", ts: 1718000518, typ: "contacts", text: "Carol Testperson", phone: "110200300400500"},
			},
		},
		"cloud/document.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQxN0E3Q0FCQTcwQzNFNUIwOEMyRAA=", from: "15550001234", ts: 1718000333, typ: "document", text: "Invoice for March\ninvoice-2024-03.pdf", mediaID: "6856383735132503", mime: "application/pdf", phone: "110200300400500"},
			},
		},
		"cloud/errors_webhook_130429.json": {
			errorCodes: []int{130429},
		},
		"cloud/image_caption.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBREREUwNzk3NjNEOEI3MUU1RUM1QgA=", from: "15550001234", ts: 1718000185, typ: "image", text: "The box arrived damaged", mediaID: "7556266972199040", mime: "image/jpeg", phone: "110200300400500"},
			},
		},
		"cloud/interactive_button_reply.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQ3M0QwRjZDQkZEMDc2NUQ4NjA3MgA=", from: "15550001234", ts: 1718000555, typ: "interactive", text: "Yes, confirm", context: true, phone: "110200300400500"},
			},
		},
		"cloud/interactive_list_reply.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQyOEIwMzVFN0U5RDY5MTcyMjYyRQA=", from: "15550001234", ts: 1718000592, typ: "interactive", text: "Tuesday 10:00", context: true, phone: "110200300400500"},
			},
		},
		"cloud/interactive_nfm_reply.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRBRERBQTVDQkQyMTY2QjM1OTZCOQA=", from: "15550001234", ts: 1718000629, typ: "interactive", text: "Sent", context: true, phone: "110200300400500"},
			},
		},
		"cloud/location.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQzRTNFMzc0RkYwOUFDRjkwRDk0MQA=", from: "15550001234", ts: 1718000444, typ: "location", text: "Example Coffee Roasters\n100 Example Ave, Springfield, CA 94000", phone: "110200300400500"},
			},
		},
		"cloud/location_current.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQ0MEYwNTc4MDQ4REYzMDkzRDE3MQA=", from: "15550001234", ts: 1718000481, typ: "location", text: "", phone: "110200300400500"},
			},
		},
		"cloud/multiple_entries_changes.json": {
			contacts: []string{"15550001234/Alice Example", "4915550001111/Bernd Beispiel"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQ5QjE4OTBEQ0NDODYzNDAxRTVCNwA=", from: "15550001234", ts: 1718001850, typ: "text", text: "First number here", phone: "110200300400500"},
				{id: "wamid.HBgNNDkxNTU1MDAwMTExMRUCABIYFDY0REJCNEVERDE2ODI5OUU2OEU2AA==", from: "4915550001111", ts: 1718001924, typ: "text", text: "Second number here", phone: "110200300400511"},
			},
			statuses: []statusWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBJGRTIzRDE2RTczOUFEN0NBNDQA", recipient: "15550001234", status: "delivered", ts: 1718001887},
			},
		},
		"cloud/multiple_messages.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRDRUIwNjQyQkRFRjNGMDJBNjg5OQA=", from: "15550001234", ts: 1718001073, typ: "text", text: "Hello?", phone: "110200300400500"},
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQyQThGRUY5RDQ3M0QyMkZEM0Y1QwA=", from: "15550001234", ts: 1718001110, typ: "text", text: "Are you there?", phone: "110200300400500"},
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRDMkE2Q0UxMURBOTc3ODUyN0JGRQA=", from: "15550001234", ts: 1718001147, typ: "image", text: "", mediaID: "1019966435630204", mime: "image/jpeg", phone: "110200300400500"},
			},
		},
		"cloud/multiple_statuses.json": {
			statuses: []statusWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBIxNEIxNzQzM0U1Njk4Mjc0RjYA", recipient: "15550001234", status: "delivered", ts: 1718001739},
				{id: "wamid.HBgNNDkxNTU1MDAwMTExMRUCABEYEjlDNzc5REY2MjRDREY4NUNFNgA=", recipient: "4915550001111", status: "read", ts: 1718001776},
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBI3RjQ5OEFCNTI5MkFCMzc4ODkA", recipient: "15550001234", status: "sent", ts: 1718001813},
			},
		},
		"cloud/order.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRERjMxNzQ2NDUwRjY3MjIwMEFDOAA=", from: "15550001234", ts: 1718000814, typ: "order", text: "Please gift-wrap", context: true, phone: "110200300400500"},
			},
		},
		"cloud/reaction.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRCMzY3NDE5NUE1QjRCNTRGN0FGOAA=", from: "15550001234", ts: 1718000703, typ: "reaction", text: "👍", phone: "110200300400500"},
			},
		},
		"cloud/reaction_removed.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRGN0VDQ0MxM0FEQ0NGNDNEMEFFNwA=", from: "15550001234", ts: 1718000740, typ: "reaction", text: "", phone: "110200300400500"},
			},
		},
		"cloud/reaction_removed_empty_emoji.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRCREM1QTFCODdFM0RCNkNGN0ZEOAA=", from: "15550001234", ts: 1718000777, typ: "reaction", text: "", phone: "110200300400500"},
			},
		},
		"cloud/referral_ctwa.json": {
			contacts: []string{"4915550001111/Bernd Beispiel"},
			messages: []msgWant{
				{id: "wamid.HBgNNDkxNTU1MDAwMTExMRUCABIYFEYyOUYyMkJFMzZFQTYwNTI1MTEyAA==", from: "4915550001111", ts: 1718000962, typ: "text", text: "Hi! I saw your ad and want to know more.", phone: "110200300400500"},
			},
		},
		"cloud/status_delivered.json": {
			statuses: []statusWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBI2QTcyM0IyMjI2OTNCMTM5N0QA", recipient: "15550001234", status: "delivered", ts: 1718001554},
			},
		},
		"cloud/status_failed_131026.json": {
			statuses: []statusWant{
				{id: "wamid.HBgNNDkxNTU1MDAwMTExMRUCABEYEjZENzgxN0JEMDc5RUU1OUVDMgA=", recipient: "4915550001111", status: "failed", ts: 1718001702, errorCodes: []int{131026}},
			},
		},
		"cloud/status_failed_131047.json": {
			statuses: []statusWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBIwOUY4RkQ1MThGREU0QzMxQUUA", recipient: "15550001234", status: "failed", ts: 1718001665, errorCodes: []int{131047}},
			},
		},
		"cloud/status_played.json": {
			statuses: []statusWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBIzNzE5MkM0OTlGOUU2N0MxRDQA", recipient: "15550001234", status: "played", ts: 1718001628},
			},
		},
		"cloud/status_read.json": {
			statuses: []statusWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBI2QTcyM0IyMjI2OTNCMTM5N0QA", recipient: "15550001234", status: "read", ts: 1718001591},
			},
		},
		"cloud/status_sent.json": {
			statuses: []statusWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBI2QTcyM0IyMjI2OTNCMTM5N0QA", recipient: "15550001234", status: "sent", ts: 1718001480},
			},
		},
		"cloud/status_sent_pmp.json": {
			statuses: []statusWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBJBODRFNDZGNzFCMUY5MDNCNDIA", recipient: "15550001234", status: "sent", ts: 1718001517},
			},
		},
		"cloud/sticker_animated.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQwODYyNENDNTkyRTdDOUJCOTY0NAA=", from: "15550001234", ts: 1718000370, typ: "sticker", text: "", mediaID: "8729113644161034", mime: "image/webp", phone: "110200300400500"},
			},
		},
		"cloud/sticker_static.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQ0QzJBMEQwNEJGQzBFODVCQ0JENgA=", from: "15550001234", ts: 1718000407, typ: "sticker", text: "", mediaID: "4993166392938473", mime: "image/webp", phone: "110200300400500"},
			},
		},
		"cloud/system_customer_changed_number.json": {
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRFQkEyRTQ5RjY0OEZBNDYwNDIzRgA=", from: "15550001234", ts: 1718000888, typ: "system", text: "Alice Example changed from 15550001234 to 15550005678", phone: "110200300400500"},
			},
		},
		"cloud/system_customer_identity_changed.json": {
			contacts: []string{"4915550001111/Bernd Beispiel"},
			messages: []msgWant{
				{id: "wamid.HBgNNDkxNTU1MDAwMTExMRUCABIYFDk0QUJFQ0MyMjRFNDc4RjcwQTQ5AA==", from: "4915550001111", ts: 1718000925, typ: "system", text: "User identity changed", phone: "110200300400500"},
			},
		},
		"cloud/system_user_changed_number.json": {
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQ3NDY5MjRBRkU4RjNGRDVBRUQ4OQA=", from: "15550001234", ts: 1718000851, typ: "system", text: "User Alice Example changed from 15550001234 to 15550005678", phone: "110200300400500"},
			},
		},
		"cloud/text.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRCREI2NTU0NEM0NzkzQzg2NjkxOQA=", from: "15550001234", ts: 1718000037, typ: "text", text: "Hi, is my order #4711 on its way?", phone: "110200300400500"},
			},
		},
		"cloud/text_forwarded.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRDOTBCRDZCMDhFMEZDRkZCMjAxMQA=", from: "15550001234", ts: 1718000111, typ: "text", text: "Look at this offer!", context: true, phone: "110200300400500"},
			},
		},
		"cloud/text_frequently_forwarded.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBRENEIyMUFGMEJGQ0NCOTNGMTM5NwA=", from: "15550001234", ts: 1718000148, typ: "text", text: "Please share with everyone you know", context: true, phone: "110200300400500"},
			},
		},
		"cloud/text_reply_context.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQ1NDEwRjlCOTg5NENFRkJEM0FDNgA=", from: "15550001234", ts: 1718000074, typ: "text", text: "Yes, Tuesday works for me.", context: true, phone: "110200300400500"},
			},
		},
		"cloud/unknown_legacy.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQ3MEVEQTg5N0EwRUI3ODNDMDJBRQA=", from: "15550001234", ts: 1718001036, typ: "unknown", text: "", phone: "110200300400500"},
			},
		},
		"cloud/unsupported.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQzNDRDMzhCODREMjM5MkMzQTg4RAA=", from: "15550001234", ts: 1718000999, typ: "unsupported", text: "", phone: "110200300400500"},
			},
		},
		"cloud/video.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "wamid.HBgLMTU1NTAwMDEyMzQVAgASGBQ1NzUzMEJCRDMyRDdFRjIzMTk4MwA=", from: "15550001234", ts: 1718000296, typ: "video", text: "Unboxing video", mediaID: "7903095434386152", mime: "video/mp4", phone: "110200300400500"},
			},
		},
		"onprem/audio.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGYaVq-Epcz0zEPKGjDVdm03CI", from: "15550001234", ts: 1718003959, typ: "audio", text: "", mediaID: "06363172-c3b6-4f8d-a741-6671f588619b", mime: "audio/mpeg"},
			},
		},
		"onprem/button_template_quick_reply.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGG5DZnQ2-i0TSlDyfSS7e3foyk", from: "15550001234", ts: 1718004292, typ: "button", text: "Track order", context: true},
			},
		},
		"onprem/contacts.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGlQtgGdQRURGpNYko5ur3iKPA", from: "15550001234", ts: 1718004181, typ: "contacts", text: "Carol Testperson"},
			},
		},
		"onprem/document.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGKvOAhwBApVczi55E6xqdCx8Q", from: "15550001234", ts: 1718004070, typ: "document", text: "Invoice for March", mediaID: "08eb9e9c-2757-4a2c-ac8f-cfffb8e61e78", mime: "application/pdf"},
			},
		},
		"onprem/errors_webhook.json": {
			errorCodes: []int{400},
		},
		"onprem/image_caption.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGG6xGOi6_ap5Vmp0nOGcgR3Kgu", from: "15550001234", ts: 1718003922, typ: "image", text: "The box arrived damaged", mediaID: "60aa3f39-5536-4430-92c8-163b79444319", mime: "image/jpeg"},
			},
		},
		"onprem/interactive_button_reply.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGeI9bTgqroyDavANOyO7a2kNZ", from: "15550001234", ts: 1718004218, typ: "interactive", text: "Yes, confirm", context: true},
			},
		},
		"onprem/interactive_list_reply.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGEGJ4xhwMfB3mJSq6bbFfPijD", from: "15550001234", ts: 1718004255, typ: "interactive", text: "Tuesday 10:00", context: true},
			},
		},
		"onprem/location.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGrV3OUiBJG0NThqMWaRskXeFJ", from: "15550001234", ts: 1718004144, typ: "location", text: "Example Coffee Roasters\n100 Example Ave, Springfield, CA 94000"},
			},
		},
		"onprem/multiple_messages.json": {
			contacts: []string{"15550001234/Alice Example", "4915550001111/Bernd Beispiel"},
			messages: []msgWant{
				{id: "ABGGxpQR-P5sFOVqZOK9DUyX4W-z", from: "15550001234", ts: 1718004477, typ: "text", text: "Hello?"},
				{id: "ABGGfFaIOYwwYU8dxj_4vIWUBiXn", from: "15550001234", ts: 1718004514, typ: "text", text: "Are you there?"},
				{id: "ABGGa22Mt_Sw547peNRfgSJYUr5G", from: "4915550001111", ts: 1718004551, typ: "text", text: "Also: can I change the address?"},
			},
		},
		"onprem/multiple_statuses.json": {
			statuses: []statusWant{
				{id: "gBGGH8pBDrkdSCgiJvIKEE8E0eJ", recipient: "15550001234", status: "delivered", ts: 1718005439},
				{id: "gBGG-FX6QO8O4qYfp-6i6-yLeuB", recipient: "4915550001111", status: "read", ts: 1718005476},
				{id: "gBGGP7SZJf_aEZLubYgi89WXZvb", recipient: "15550001234", status: "sent", ts: 1718005513},
			},
		},
		"onprem/order.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGc-XR4XrSP39BlZfZSJVUENwu", from: "15550001234", ts: 1718004329, typ: "order", text: "Please gift-wrap", context: true},
			},
		},
		"onprem/status_deleted.json": {
			statuses: []statusWant{
				{id: "gBGGC7A927Wvru-8l1o_UwDBJke", recipient: "15550001234", status: "deleted", ts: 1718005402},
			},
		},
		"onprem/status_delivered.json": {
			statuses: []statusWant{
				{id: "gBGGkkYWeXCHO0Znsvt1nv8Fmyl", recipient: "15550001234", status: "delivered", ts: 1718005254},
			},
		},
		"onprem/status_failed_131047.json": {
			statuses: []statusWant{
				{id: "gBGGjVHloHeToBTbhBn321pvojQ", recipient: "4915550001111", status: "failed", ts: 1718005365, errorCodes: []int{131047}},
			},
		},
		"onprem/status_failed_470.json": {
			statuses: []statusWant{
				{id: "gBGGclqsrb8WDMgUuQ3Rnvs35lk", recipient: "15550001234", status: "failed", ts: 1718005328, errorCodes: []int{470}},
			},
		},
		"onprem/status_read.json": {
			statuses: []statusWant{
				{id: "gBGGANibQYoADyDgDOh5Eiy9t8s", recipient: "15550001234", status: "read", ts: 1718005291},
			},
		},
		"onprem/status_sent.json": {
			statuses: []statusWant{
				{id: "gBGGPIqoAlWOQ97c5SPcCNgJq35", recipient: "15550001234", status: "sent", ts: 1718005217},
			},
		},
		"onprem/sticker.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGqjUaTRGIsLOXGJBpPqsh58Ha", from: "15550001234", ts: 1718004107, typ: "sticker", text: "", mediaID: "b96dc004-eb02-4c84-9966-88191fc01ebd", mime: "image/webp"},
			},
		},
		"onprem/system_user_changed_number.json": {
			messages: []msgWant{
				{id: "ABGG0O-TYPKyEZPNT9cCJMw9litA", from: "15550001234", ts: 1718004366, typ: "system", text: "Alice Example changed from +1 (555) 000-1234 to +1 (555) 000-5678"},
			},
		},
		"onprem/system_user_identity_changed.json": {
			messages: []msgWant{
				{id: "ABGGymTWOSuW2OVvQQkuOoKczTdC", from: "4915550001111", ts: 1718004403, typ: "system", text: ""},
			},
		},
		"onprem/text.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGMzAHE0xRN5fUjoZQltwrvxUb", from: "15550001234", ts: 1718003737, typ: "text", text: "Hi, is my order #4711 on its way?"},
			},
		},
		"onprem/text_forwarded.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGTw9LvePVlsx48PVNyIfuPZ5t", from: "15550001234", ts: 1718003811, typ: "text", text: "Look at this offer!", context: true},
			},
		},
		"onprem/text_reply_context.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGldl6Hmx-Mh-91JNQ7gL0O5T9", from: "15550001234", ts: 1718003774, typ: "text", text: "Yes, Tuesday works for me.", context: true},
			},
		},
		"onprem/text_with_identity.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGYDljWBrJ_XemR07Y7A3ZKjWa", from: "15550001234", ts: 1718003885, typ: "text", text: "Hi from my new phone"},
			},
		},
		"onprem/unknown.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGEdSyrrrSdGLgyknAwLLXhIc3", from: "15550001234", ts: 1718004440, typ: "unknown", text: ""},
			},
		},
		"onprem/video.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGyOlzr_bbv63xngxRrUvQZuHp", from: "15550001234", ts: 1718004033, typ: "video", text: "Unboxing video", mediaID: "c118983a-8b9d-4bc9-8735-fdc7e71010b5", mime: "video/mp4"},
			},
		},
		"onprem/video_frequently_forwarded.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGYYpjA-e2XNB31RBSL_hgtGUG", from: "15550001234", ts: 1718003848, typ: "video", text: "", mediaID: "f5637abd-01ff-46d8-a737-08cb249ad8cb", mime: "video/mp4", context: true},
			},
		},
		"onprem/voice.json": {
			contacts: []string{"15550001234/Alice Example"},
			messages: []msgWant{
				{id: "ABGGcTbQT0Dy9AVaUFuJF5VcnPzJ", from: "15550001234", ts: 1718003996, typ: "voice", text: "", mediaID: "a50d31d7-366f-4762-903f-8cdf584b3eb0", mime: "audio/ogg; codecs=opus"},
			},
		},
	}
}

func TestParseNotificationFixtures(t *testing.T) {
	t.Parallel()
	wants := fixtureWants()
	files := fixtureFiles(t)
	require.Len(t, files, len(wants), "every fixture needs a row in fixtureWants and every row a fixture")
	for _, file := range files {
		key := filepath.ToSlash(strings.TrimPrefix(file, filepath.Join("testdata", "inbound")+string(filepath.Separator)))
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			want, ok := wants[key]
			require.True(t, ok, "no expectations for %s", key)
			body, err := os.ReadFile(file)
			require.NoError(t, err)
			n, err := ParseNotification(body)
			require.NoError(t, err)
			require.False(t, n.Empty())

			var contacts []string
			for _, c := range n.Contacts {
				contacts = append(contacts, c.WaID+"/"+c.ProfileName)
			}
			require.Equal(t, want.contacts, contacts, "contacts")

			require.Len(t, n.Messages, len(want.messages), "messages")
			for i, w := range want.messages {
				m := n.Messages[i]
				require.Equal(t, w.id, m.ID, "messages[%d].ID", i)
				require.Equal(t, w.from, m.From, "messages[%d].From", i)
				require.Equal(t, w.ts, m.Timestamp, "messages[%d].Timestamp", i)
				require.Equal(t, w.typ, m.Type, "messages[%d].Type", i)
				require.Equal(t, w.text, m.Text, "messages[%d].Text", i)
				require.Equal(t, w.phone, m.PhoneNumberID, "messages[%d].PhoneNumberID", i)
				require.Equal(t, w.context, m.Context != nil, "messages[%d].Context set", i)
				if w.mediaID == "" {
					require.Nil(t, m.Media, "messages[%d].Media", i)
				} else {
					require.NotNil(t, m.Media, "messages[%d].Media", i)
					require.Equal(t, w.mediaID, m.Media.ID, "messages[%d].Media.ID", i)
					require.Equal(t, w.mime, m.Media.MimeType, "messages[%d].Media.MimeType", i)
				}
			}

			require.Len(t, n.Statuses, len(want.statuses), "statuses")
			for i, w := range want.statuses {
				s := n.Statuses[i]
				require.Equal(t, w.id, s.ID, "statuses[%d].ID", i)
				require.Equal(t, w.recipient, s.RecipientID, "statuses[%d].RecipientID", i)
				require.Equal(t, w.status, s.Status, "statuses[%d].Status", i)
				require.Equal(t, w.ts, s.Timestamp, "statuses[%d].Timestamp", i)
				require.Equal(t, w.errorCodes, errorCodes(t, s.Errors), "statuses[%d].Errors", i)
			}

			var codes []int
			for _, e := range n.Errors {
				codes = append(codes, errorCodes(t, json.RawMessage("["+string(e)+"]"))...)
			}
			require.Equal(t, want.errorCodes, codes, "errors")
		})
	}
}

// errorCodes returns the codes of a JSON array of error objects.
func errorCodes(t *testing.T, raw json.RawMessage) []int {
	t.Helper()
	if raw == nil {
		return nil
	}
	var errs []struct {
		Code int `json:"code"`
	}
	require.NoError(t, json.Unmarshal(raw, &errs))
	var codes []int
	for _, e := range errs {
		codes = append(codes, e.Code)
	}
	return codes
}

// TestParseNotificationKeepsRawObjects checks that every Raw is the
// provider's object byte for byte (a slice of the body) and equal, as JSON,
// to the object at the same place in the fixture.
func TestParseNotificationKeepsRawObjects(t *testing.T) {
	t.Parallel()
	for _, file := range fixtureFiles(t) {
		body, err := os.ReadFile(file)
		require.NoError(t, err)
		n, err := ParseNotification(body)
		require.NoError(t, err, file)

		// The fixture's objects, found independently of the parser.
		var doc struct {
			Entry []struct {
				Changes []struct {
					Value valueObjects `json:"value"`
				} `json:"changes"`
			} `json:"entry"`
			valueObjects
		}
		require.NoError(t, json.Unmarshal(body, &doc), file)
		all := doc.valueObjects
		for _, e := range doc.Entry {
			for _, c := range e.Changes {
				all.Contacts = append(all.Contacts, c.Value.Contacts...)
				all.Messages = append(all.Messages, c.Value.Messages...)
				all.Statuses = append(all.Statuses, c.Value.Statuses...)
				all.Errors = append(all.Errors, c.Value.Errors...)
			}
		}

		require.Len(t, n.Contacts, len(all.Contacts), file)
		for i, c := range n.Contacts {
			requireSameObject(t, all.Contacts[i], c.Raw, body, "%s contacts[%d]", file, i)
		}
		require.Len(t, n.Messages, len(all.Messages), file)
		for i, m := range n.Messages {
			requireSameObject(t, all.Messages[i], m.Raw, body, "%s messages[%d]", file, i)
			var obj struct {
				Context json.RawMessage `json:"context"`
			}
			require.NoError(t, json.Unmarshal(all.Messages[i], &obj))
			if obj.Context != nil {
				requireSameObject(t, obj.Context, m.Context, body, "%s messages[%d].context", file, i)
			}
		}
		require.Len(t, n.Statuses, len(all.Statuses), file)
		for i, s := range n.Statuses {
			requireSameObject(t, all.Statuses[i], s.Raw, body, "%s statuses[%d]", file, i)
		}
		require.Len(t, n.Errors, len(all.Errors), file)
		for i, e := range n.Errors {
			requireSameObject(t, all.Errors[i], e, body, "%s errors[%d]", file, i)
		}
	}
}

type valueObjects struct {
	Contacts []json.RawMessage `json:"contacts"`
	Messages []json.RawMessage `json:"messages"`
	Statuses []json.RawMessage `json:"statuses"`
	Errors   []json.RawMessage `json:"errors"`
}

func requireSameObject(t *testing.T, want, got json.RawMessage, body []byte, msgAndArgs ...any) {
	t.Helper()
	require.JSONEq(t, string(want), string(got), msgAndArgs...)
	require.True(t, bytes.Contains(body, got), msgAndArgs...)
}

func TestParseNotificationMediaFields(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("testdata", "inbound", "cloud", "document.json"))
	require.NoError(t, err)
	n, err := ParseNotification(body)
	require.NoError(t, err)
	require.Equal(t, &Media{
		ID:       "6856383735132503",
		MimeType: "application/pdf",
		SHA256:   "7rBMEfa3nnjAcX7c6cLsivxmoZ4VLMTczpu2nPCK21s=",
		Filename: "invoice-2024-03.pdf",
		Caption:  "Invoice for March",
	}, n.Messages[0].Media)
}

func TestParseNotificationTimestamps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ts   string
		want int64
	}{
		{`"1718000037"`, 1718000037},
		{`1718000037`, 1718000037},
		{`" 1718000037 "`, 1718000037},
		{`1.718000037e9`, 1718000037},
		{`1718000037.0`, 1718000037},
		{`null`, 0},
	}
	for _, c := range cases {
		body := `{"messages":[{"id":"ABGG1","from":"15550001234","type":"text","text":{"body":"hi"},"timestamp":` + c.ts + `}],` +
			`"statuses":[{"id":"gBGG1","status":"read","timestamp":` + c.ts + `}]}`
		n, err := ParseNotification([]byte(body))
		require.NoError(t, err, c.ts)
		require.Equal(t, c.want, n.Messages[0].Timestamp, c.ts)
		require.Equal(t, c.want, n.Statuses[0].Timestamp, c.ts)
	}
}

func TestParseNotificationRejectsBadInput(t *testing.T) {
	t.Parallel()
	const cloudMsg = `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[%s]}}]}]}`
	cases := []struct {
		name, body, want string
	}{
		{"not JSON", `hello`, "body is not valid JSON: invalid character 'h'"},
		{"truncated JSON", `{"messages":[`, "body is not valid JSON"},
		{"empty body", ``, "body is not valid JSON"},
		{"array", `[]`, "body: want an object, got an array"},
		{"string", `"x"`, "body: want an object, got a string"},
		{"no known key", `{"hello":1}`, "not a WhatsApp notification"},
		{"empty object", `{}`, "not a WhatsApp notification"},
		{"entry not array", `{"entry":{}}`, "entry: want an array, got an object"},
		{"entry element", `{"entry":[1]}`, "entry[0]: want an object, got a number"},
		{"changes not array", `{"entry":[{"changes":"x"}]}`, "entry[0].changes: want an array, got a string"},
		{"field not string", `{"entry":[{"changes":[{"field":1,"value":{}}]}]}`, "entry[0].changes[0].field: want a string, got a number"},
		{"no value", `{"entry":[{"changes":[{"field":"messages"}]}]}`, `entry[0].changes[0]: missing "value"`},
		{"value not object", `{"entry":[{"changes":[{"field":"messages","value":[]}]}]}`, "entry[0].changes[0].value: want an object, got an array"},
		{"messages not array", `{"messages":{}}`, "messages: want an array, got an object"},
		{"message null", `{"messages":[null]}`, "messages[0]: want an object, got null"},
		{"message without id", `{"messages":[{"from":"1","type":"text"}]}`, `messages[0]: missing "id"`},
		{"message without from", `{"messages":[{"id":"x","type":"text"}]}`, `messages[0]: missing "from"`},
		{"message without type", `{"messages":[{"id":"x","from":"1"}]}`, `messages[0]: missing "type"`},
		{"message with empty id", `{"messages":[{"id":" ","from":"1","type":"text"}]}`, `messages[0]: "id" is empty`},
		{"numeric id", `{"messages":[{"id":1,"from":"1","type":"text"}]}`, "messages[0].id: want a string, got a number"},
		{"cloud message without id", strings.Replace(cloudMsg, "%s", `{"from":"1","type":"text"}`, 1), `entry[0].changes[0].value.messages[0]: missing "id"`},
		{"bad timestamp", strings.Replace(cloudMsg, "%s", `{"id":"x","from":"1","type":"text","timestamp":"abc"}`, 1), `entry[0].changes[0].value.messages[0].timestamp: "abc" is not a POSIX timestamp`},
		{"negative timestamp", `{"messages":[{"id":"x","from":"1","type":"text","timestamp":-5}]}`, "messages[0].timestamp: -5 is not a POSIX timestamp"},
		{"boolean timestamp", `{"messages":[{"id":"x","from":"1","type":"text","timestamp":true}]}`, "messages[0].timestamp: want a string or a number, got a boolean"},
		{"text body number", `{"messages":[{"id":"x","from":"1","type":"text","text":{"body":5}}]}`, "messages[0].text.body: want a string, got a number"},
		{"text not object", `{"messages":[{"id":"x","from":"1","type":"text","text":"hi"}]}`, "messages[0].text: want an object, got a string"},
		{"media id number", `{"messages":[{"id":"x","from":"1","type":"image","image":{"id":5}}]}`, "messages[0].image.id: want a string, got a number"},
		{"context not object", `{"messages":[{"id":"x","from":"1","type":"text","context":"x"}]}`, "messages[0].context: want an object, got a string"},
		{"contacts card not object", `{"messages":[{"id":"x","from":"1","type":"contacts","contacts":[1]}]}`, "messages[0].contacts[0]: want an object, got a number"},
		{"status without id", `{"statuses":[{"status":"sent"}]}`, `statuses[0]: missing "id"`},
		{"status without status", `{"statuses":[{"id":"x"}]}`, `statuses[0]: missing "status"`},
		{"status errors not array", `{"statuses":[{"id":"x","status":"failed","errors":{}}]}`, "statuses[0].errors: want an array, got an object"},
		{"contact without wa_id", `{"contacts":[{"profile":{"name":"A"}}]}`, `contacts[0]: missing "wa_id"`},
		{"profile not object", `{"contacts":[{"wa_id":"1","profile":"A"}]}`, "contacts[0].profile: want an object, got a string"},
		{"error not object", `{"errors":["x"]}`, "errors[0]: want an object, got a string"},
		{"metadata not object", `{"entry":[{"changes":[{"field":"messages","value":{"metadata":1}}]}]}`, "entry[0].changes[0].value.metadata: want an object, got a number"},
	}
	for _, c := range cases {
		n, err := ParseNotification([]byte(c.body))
		require.Error(t, err, c.name)
		require.Nil(t, n, c.name)
		require.Contains(t, err.Error(), c.want, c.name)
	}
}

func TestParseNotificationLenientWhereHarmless(t *testing.T) {
	t.Parallel()
	// Changes of other fields share the envelope; they are acknowledged,
	// not refused.
	n, err := ParseNotification([]byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[` +
		`{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":1}}]}]}`))
	require.NoError(t, err)
	require.True(t, n.Empty())

	// Unknown message types, unknown fields and nulls pass; the raw object
	// keeps them.
	body := `{"messages":[{"id":"x","from":"1","type":"future_type","future_type":[1,2],"extra":{"a":null},"text":null}]}`
	n, err = ParseNotification([]byte(body))
	require.NoError(t, err)
	require.Equal(t, "future_type", n.Messages[0].Type)
	require.Empty(t, n.Messages[0].Text)
	require.Nil(t, n.Messages[0].Media)
	require.JSONEq(t, `{"id":"x","from":"1","type":"future_type","future_type":[1,2],"extra":{"a":null},"text":null}`, string(n.Messages[0].Raw))

	// A media message without its media object is stored without media.
	n, err = ParseNotification([]byte(`{"messages":[{"id":"x","from":"1","type":"image"}]}`))
	require.NoError(t, err)
	require.Nil(t, n.Messages[0].Media)
}

func TestNotificationEmpty(t *testing.T) {
	t.Parallel()
	var nilN *Notification
	require.True(t, nilN.Empty())
	require.True(t, (&Notification{}).Empty())
	require.False(t, (&Notification{Errors: []json.RawMessage{json.RawMessage(`{}`)}}).Empty())
	require.False(t, (&Notification{Statuses: []Status{{ID: "x"}}}).Empty())
	n, err := ParseNotification([]byte(`{"object":"whatsapp_business_account","entry":[]}`))
	require.NoError(t, err)
	require.True(t, n.Empty())
}

func FuzzParseNotification(f *testing.F) {
	for _, file := range fixtureFiles(f) {
		body, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(body)
	}
	f.Add([]byte(`{"messages":[{"id":"x","from":"1","type":"text","timestamp":1.5e3}]}`))
	f.Add([]byte(`{"entry":[{"changes":[{"value":{"statuses":[{"id":"x","status":"read"}]}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecodeObject(t, body)
		n, err := ParseNotification(body)
		if err != nil {
			if n != nil {
				t.Fatal("a notification and an error")
			}
			return
		}
		for i, m := range n.Messages {
			if m.ID == "" || m.From == "" || m.Type == "" {
				t.Fatalf("messages[%d] lacks id, from or type: %+v", i, m)
			}
			if !json.Valid(m.Raw) || (m.Context != nil && !json.Valid(m.Context)) {
				t.Fatalf("messages[%d]: raw is not valid JSON", i)
			}
		}
		for i, s := range n.Statuses {
			if s.ID == "" || s.Status == "" || !json.Valid(s.Raw) || (s.Errors != nil && !json.Valid(s.Errors)) {
				t.Fatalf("statuses[%d] is incomplete or not valid JSON: %+v", i, s)
			}
		}
		for i, c := range n.Contacts {
			if c.WaID == "" || !json.Valid(c.Raw) {
				t.Fatalf("contacts[%d] is incomplete or not valid JSON", i)
			}
		}
		for i, e := range n.Errors {
			if !json.Valid(e) {
				t.Fatalf("errors[%d] is not valid JSON", i)
			}
		}
	})
}

// checkDecodeObject compares the scanner in rawjson.go with encoding/json
// on any valid JSON object: the same keys (the last of duplicates) with
// byte-identical values.
func checkDecodeObject(t *testing.T, body []byte) {
	t.Helper()
	if !json.Valid(body) || kind(body) != '{' {
		return
	}
	var want map[string]json.RawMessage
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	f, err := decodeObject(bytes.TrimSpace(body), "body")
	if err != nil {
		t.Fatalf("decodeObject: %v", err)
	}
	got := map[string]json.RawMessage{}
	for _, m := range f {
		got[m.key] = m.value
	}
	if len(got) != len(want) {
		t.Fatalf("decodeObject found %d keys, encoding/json %d", len(got), len(want))
	}
	for k, v := range want {
		if !bytes.Equal(bytes.TrimSpace(v), got[k]) {
			t.Fatalf("key %q: decodeObject %q, encoding/json %q", k, got[k], v)
		}
		if kind(v) == '[' {
			var wantElems []json.RawMessage
			if err := json.Unmarshal(v, &wantElems); err != nil {
				t.Fatal(err)
			}
			elems, err := decodeArray(got[k], k)
			if err != nil || len(elems) != len(wantElems) {
				t.Fatalf("key %q: decodeArray %d elements (%v), encoding/json %d", k, len(elems), err, len(wantElems))
			}
			for i := range elems {
				if !bytes.Equal(bytes.TrimSpace(wantElems[i]), elems[i]) {
					t.Fatalf("key %q[%d]: decodeArray %q, encoding/json %q", k, i, elems[i], wantElems[i])
				}
			}
		}
	}
}

func TestDecodeObjectMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, file := range fixtureFiles(t) {
		body, err := os.ReadFile(file)
		require.NoError(t, err)
		checkDecodeObject(t, body)
	}
	for _, body := range []string{
		`{}`, ` { } `, `{"a":1,"a":2}`, `{"a\"b":"c\"d","e":[1,{"f":"]}"},[]],"g":null,"h":true,"i":-1.5e3}`,
		`{"\u00e9":"x"}`, "{\"k\":\"\xff\"}", `{"a":[ ]}`, `{"a":[1 , 2 ]}`,
	} {
		checkDecodeObject(t, []byte(body))
	}
}

func BenchmarkParseNotification(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "inbound", "cloud", "text.json"))
	require.NoError(b, err)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseNotification(body); err != nil {
			b.Fatal(err)
		}
	}
}
