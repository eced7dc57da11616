package client

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary answers to every response decoder and header
// parser: none may panic, and a decoded envelope holds only JSON objects.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"more":true,"next":"abc","objects":[{"type":"indicator","id":"indicator--1"},{}]}`,
		`{"more":"true","next":12345,"objects":[]}`,
		`{"type":"bundle","id":"bundle--1","spec_version":"2.0","objects":[{"type":"x"}]}`,
		`{"title":"Tearline","default":"/taxii2/default/","api_roots":["/taxii2/default/","https://x/y/"]}`,
		`{"title":"root","versions":["application/taxii+json;version=2.1"],"max_content_length":104857600}`,
		`{"collections":[{"id":"91a7b528-80eb-42ed-a74d-c6fbd5a26116","title":"c","can_read":true,"can_write":false}]}`,
		`{"more":false,"objects":[{"id":"indicator--1","date_added":"2024-01-01T00:00:00.000Z","version":"2024-01-01T00:00:00.000Z"}]}`,
		`{"more":false,"versions":["2024-01-01T00:00:00.000Z"]}`,
		`{"id":"2d086da7-4bdc-4f91-900e-d77486753710","status":"complete","total_count":1,"success_count":1,"successes":[{"id":"indicator--1","version":"2024-01-01T00:00:00Z"}]}`,
		`items 0-99/500`, `items 5-4/*`, `120`, `Wed, 21 Oct 2015 07:28:00 GMT`,
		`{"objects":[1,"x",null]}`, `{"more":tru`, "\xff\xfe", `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if env, err := decodeEnvelope(data); err == nil {
			for i, o := range env.Objects {
				if len(o) == 0 || o[0] != '{' || !json.Valid(o) {
					t.Fatalf("objects[%d] = %q is not a JSON object", i, o)
				}
			}
		}
		decodeDiscovery(data)
		decodeAPIRoot(data)
		decodeCollections(data)
		decodeCollection(data)
		decodeManifest(data)
		decodeVersions(data)
		if st, err := decodeStatus(data); err == nil && (st.ID == "" || st.TotalCount < 0) {
			t.Fatalf("status %+v accepted", st)
		}
		if n := contentRange(string(data)); n < -1 {
			t.Fatalf("contentRange(%q) = %d", data, n)
		}
		if d, ok := retryAfter(string(data), time.Now()); ok && d < 0 {
			t.Fatalf("retryAfter(%q) = %v", data, d)
		}
		errorMessage(&response{body: data, header: map[string][]string{"Content-Type": {"text/plain"}}})
	})
}
