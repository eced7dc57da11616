package taxii

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiscovery(t *testing.T) {
	e := newEnv(t, nil, false)
	for _, path := range []string{"/taxii2/", "/taxii2"} {
		r := e.get("reader", path)
		expect(t, r, http.StatusOK)
		if got := r.header.Get("Content-Type"); got != mediaTAXII {
			t.Errorf("Content-Type %q, want %q", got, mediaTAXII)
		}
		var d discoveryResource
		r.decode(t, &d)
		want := discoveryResource{
			Title:       "Tearline test",
			Description: "test server",
			Contact:     "soc@example.org",
			Default:     "/taxii2/default/",
			APIRoots:    []string{"/taxii2/default/", "/taxii2/second/"},
		}
		if diff := cmp.Diff(want, d); diff != "" {
			t.Errorf("%s: discovery (-want +got):\n%s", path, diff)
		}
	}
	expect(t, e.get("", "/taxii2/"), http.StatusUnauthorized)
}

func TestPublicDiscovery(t *testing.T) {
	cfg := testConfig()
	cfg.PublicDiscovery = true
	cfg.DefaultRoot = "second"
	e := newEnv(t, &cfg, false)
	r := e.get("", "/taxii2/")
	expect(t, r, http.StatusOK)
	var d discoveryResource
	r.decode(t, &d)
	if d.Default != "/taxii2/second/" {
		t.Errorf("default %q, want /taxii2/second/", d.Default)
	}
	// Everything else still needs credentials, and wrong ones are refused
	// even on discovery.
	expect(t, e.get("", "/taxii2/default/"), http.StatusUnauthorized)
	expect(t, e.do(req{path: "/taxii2/", header: map[string]string{"Authorization": "Bearer tl_nonsense"}}), http.StatusUnauthorized)
}

func TestAPIRoot(t *testing.T) {
	e := newEnv(t, nil, false)
	tests := []struct {
		path string
		want apiRootResource
	}{
		{"/taxii2/default/", apiRootResource{Title: "Default root", Description: "the default root", Versions: []string{mediaTAXII}, MaxContentLength: 8 << 20}},
		{"/taxii2/second", apiRootResource{Title: "Second root", Versions: []string{mediaTAXII}, MaxContentLength: 4096}},
	}
	for _, tt := range tests {
		r := e.get("nogrant", tt.path)
		expect(t, r, http.StatusOK)
		var got apiRootResource
		r.decode(t, &got)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.path, diff)
		}
	}
	expect(t, e.get("reader", "/taxii2/nope/"), http.StatusNotFound)
	expect(t, e.get("reader", "/taxii2/nope/collections/"), http.StatusNotFound)
}

func TestCollections(t *testing.T) {
	e := newEnv(t, nil, false)
	intel := func(canRead, canWrite bool) collectionResource {
		return collectionResource{ID: e.intel.ID, Title: "Collection intel", Description: "about intel", Alias: "intel",
			CanRead: canRead, CanWrite: canWrite, MediaTypes: []string{mediaSTIX}}
	}
	other := collectionResource{ID: e.other.ID, Title: "Collection other", Description: "about other", Alias: "other",
		CanRead: true, MediaTypes: []string{mediaSTIX}}
	second := collectionResource{ID: e.second.ID, Title: "Collection second-root", Description: "about second-root", Alias: "second-root",
		CanRead: true, MediaTypes: []string{mediaSTIX}}
	tests := []struct {
		who, root string
		want      []collectionResource
	}{
		{"reader", "default", []collectionResource{intel(true, false), other}},
		{"contributor", "default", []collectionResource{intel(true, true)}},
		{"analyst", "default", []collectionResource{intel(true, true)}},
		{"contributor", "second", []collectionResource{second}},
		{"reader", "second", nil},
		{"nogrant", "default", nil},
		// A write grant with a reader key is no access at all.
		{"writeonly", "default", nil},
		// Admins manage collections but read only what they are granted.
		{"admin", "default", nil},
	}
	for _, tt := range tests {
		r := e.get(tt.who, "/taxii2/"+tt.root+"/collections/")
		expect(t, r, http.StatusOK)
		var got collectionsResource
		r.decode(t, &got)
		if diff := cmp.Diff(tt.want, got.Collections); diff != "" {
			t.Errorf("%s in %s (-want +got):\n%s", tt.who, tt.root, diff)
		}
	}

	// One collection, by id or alias, with and without the trailing slash.
	for _, path := range []string{
		"/taxii2/default/collections/" + e.intel.ID + "/",
		"/taxii2/default/collections/" + e.intel.ID,
		"/taxii2/default/collections/intel/",
	} {
		r := e.get("reader", path)
		expect(t, r, http.StatusOK)
		var got collectionResource
		r.decode(t, &got)
		if diff := cmp.Diff(intel(true, false), got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", path, diff)
		}
	}
	// Invisible collections are not found, whatever the reason.
	for _, c := range []struct{ who, path string }{
		{"nogrant", colPath(e.intel, "")},
		{"writeonly", colPath(e.intel, "")},
		{"admin", colPath(e.intel, "")},
		{"contributor", colPath(e.other, "")},
		{"reader", colPath(e.second, "")},
		// The right collection in the wrong API root.
		{"contributor", "/taxii2/second/collections/" + e.intel.ID + "/"},
		{"contributor", "/taxii2/default/collections/" + e.second.ID + "/"},
		{"reader", "/taxii2/default/collections/no-such-collection/"},
		{"reader", "/taxii2/default/collections/NOT%20AN%20ALIAS/"},
	} {
		r := e.get(c.who, c.path)
		expect(t, r, http.StatusNotFound)
		if strings.Contains(string(r.body), "forbidden") {
			t.Errorf("%s %s: %s reveals the collection", c.who, c.path, r.body)
		}
	}
}
