package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ledger"
)

// seed adds to "intel", in this order: indicators 0-9 (version 0),
// malware 0-4, indicators 0-2 again (version 1), and ipv4-addr 0-2.
func (e *env) seed() {
	e.add(e.intel, indicators(0, 10, 0)...)
	var mw []string
	for i := range 5 {
		mw = append(mw, malware(i))
	}
	e.add(e.intel, mw...)
	e.add(e.intel, indicators(0, 3, 1)...)
	e.add(e.intel, ipv4(0), ipv4(1), ipv4(2))
}

// listIDs returns ids for the objects of a seed, in date_added order, as
// "indicator:3" style names mapped to ids.
func seedIDs(names ...string) []string {
	var out []string
	for _, n := range names {
		typ, num, _ := strings.Cut(n, ":")
		var i int
		for _, c := range num {
			i = i*10 + int(c-'0')
		}
		out = append(out, objID(typ, i))
	}
	return out
}

func rangeNames(typ string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, typ+":"+string(rune('0'+i)))
	}
	return out
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func TestGetObjectsFilters(t *testing.T) {
	e := newEnv(t, nil, false)
	e.seed()
	latest := seedIDs(concat(rangeNames("indicator", 3, 9), rangeNames("malware", 0, 4), rangeNames("indicator", 0, 2), rangeNames("ipv4-addr", 0, 2))...)
	all := seedIDs(concat(rangeNames("indicator", 0, 9), rangeNames("malware", 0, 4), rangeNames("indicator", 0, 2), rangeNames("ipv4-addr", 0, 2))...)
	first := seedIDs(concat(rangeNames("indicator", 0, 9), rangeNames("malware", 0, 4), rangeNames("ipv4-addr", 0, 2))...)
	v1 := baseTime.Add(time.Minute).Format(millisLayout)

	// date_added of malware 4, from the manifest.
	var m manifestResource
	r := e.get("reader", colPath(e.intel, "manifest/?match[id]="+objID("malware", 4)))
	expect(t, r, http.StatusOK)
	r.decode(t, &m)
	if len(m.Objects) != 1 {
		t.Fatalf("manifest of malware 4: %s", r.body)
	}
	afterMalware := m.Objects[0].DateAdded

	tests := []struct {
		query string
		want  []string
	}{
		{"", latest},
		{"match[version]=last", latest},
		{"match[version]=all", all},
		{"match[version]=first", first},
		{"match[version]=first,last", all},
		{"match[version]=first&match[version]=last", all},
		{"match[version]=" + v1, seedIDs(rangeNames("indicator", 0, 2)...)},
		{"match[version]=" + url.QueryEscape(baseTime.Format(time.RFC3339Nano)) + "&match[type]=malware", seedIDs(rangeNames("malware", 0, 4)...)},
		{"match[type]=malware", seedIDs(rangeNames("malware", 0, 4)...)},
		{"match[type]=malware,ipv4-addr", seedIDs(concat(rangeNames("malware", 0, 4), rangeNames("ipv4-addr", 0, 2))...)},
		{"match[id]=" + objID("indicator", 1), seedIDs("indicator:1")},
		{"match[id]=" + objID("indicator", 1) + "&match[version]=all", seedIDs("indicator:1", "indicator:1")},
		{"match[id]=" + objID("indicator", 1) + "," + objID("malware", 2), seedIDs("malware:2", "indicator:1")},
		{"match[spec_version]=2.1", latest},
		{"match[spec_version]=2.0", nil},
		{"match[type]=indicator&match[version]=first&match[spec_version]=2.1", seedIDs(rangeNames("indicator", 0, 9)...)},
		{"added_after=" + afterMalware, seedIDs(concat(rangeNames("indicator", 0, 2), rangeNames("ipv4-addr", 0, 2))...)},
		{"added_after=" + afterMalware + "&match[type]=ipv4-addr", seedIDs(rangeNames("ipv4-addr", 0, 2)...)},
		{"added_after=2099-01-01T00:00:00Z", nil},
	}
	for _, tt := range tests {
		got := pageAll(t, e, "reader", colPath(e.intel, "objects/"), tt.query)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("?%s (-want +got):\n%s", tt.query, diff)
		}
	}
}

// pageAll follows next through every page of an objects listing and
// returns the ids, checking the date-added headers of each page.
func pageAll(t *testing.T, e *env, who, path, query string) []string {
	t.Helper()
	var ids []string
	next := ""
	for range 1000 {
		q := query
		if next != "" {
			if q != "" {
				q += "&"
			}
			q += "next=" + next
		}
		r := e.get(who, path+"?"+q)
		expect(t, r, http.StatusOK)
		var env envelopeResource
		r.decode(t, &env)
		page := env.ids(t)
		ids = append(ids, page...)
		first, last := r.header.Get("X-TAXII-Date-Added-First"), r.header.Get("X-TAXII-Date-Added-Last")
		if len(page) > 0 && (first == "" || last == "" || first > last) {
			t.Fatalf("page of %d objects has date-added headers %q, %q", len(page), first, last)
		}
		if len(page) == 0 && first != "" {
			t.Fatalf("empty page has X-TAXII-Date-Added-First %q", first)
		}
		if !env.More {
			if env.Next != "" {
				t.Fatalf("last page has next %q", env.Next)
			}
			return ids
		}
		if env.Next == "" {
			t.Fatal("more without next")
		}
		next = env.Next
	}
	t.Fatal("too many pages")
	return nil
}

func TestPagination(t *testing.T) {
	e := newEnv(t, nil, false)
	e.seed()
	want := pageAll(t, e, "reader", colPath(e.intel, "objects/"), "match[version]=all")
	if len(want) != 21 {
		t.Fatalf("%d entries, want 21", len(want))
	}
	for _, limit := range []string{"1", "4", "20", "21", "1000"} {
		got := pageAll(t, e, "reader", colPath(e.intel, "objects/"), "match[version]=all&limit="+limit)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %s (-want +got):\n%s", limit, diff)
		}
	}

	// Pages are exactly limit long, headers are the first and last
	// date_added, and the manifest pages the same way.
	r := e.get("reader", colPath(e.intel, "objects/?limit=4&match[version]=all"))
	var env envelopeResource
	r.decode(t, &env)
	if len(env.Objects) != 4 || !env.More || len(env.Next) != nextTokenLen {
		t.Fatalf("first page: %s", r.body)
	}
	var m manifestResource
	rm := e.get("reader", colPath(e.intel, "manifest/?limit=4&match[version]=all"))
	rm.decode(t, &m)
	if len(m.Objects) != 4 || !m.More || m.Next != env.Next {
		t.Fatalf("manifest page: %s (objects next %q)", rm.body, env.Next)
	}
	for _, h := range []string{"X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"} {
		if r.header.Get(h) != rm.header.Get(h) {
			t.Errorf("%s: objects %q, manifest %q", h, r.header.Get(h), rm.header.Get(h))
		}
	}
	if got, want := r.header.Get("X-TAXII-Date-Added-First"), m.Objects[0].DateAdded; got != want {
		t.Errorf("X-TAXII-Date-Added-First %q, want %q", got, want)
	}
	if got, want := r.header.Get("X-TAXII-Date-Added-Last"), m.Objects[3].DateAdded; got != want {
		t.Errorf("X-TAXII-Date-Added-Last %q, want %q", got, want)
	}
	if _, err := time.Parse(dateAddedLayout, m.Objects[0].DateAdded); err != nil {
		t.Errorf("date_added %q is not microsecond UTC: %v", m.Objects[0].DateAdded, err)
	}

	// added_after with the last header resumes like next.
	r2 := e.get("reader", colPath(e.intel, "objects/?limit=4&match[version]=all&added_after="+r.header.Get("X-TAXII-Date-Added-Last")))
	r3 := e.get("reader", colPath(e.intel, "objects/?limit=4&match[version]=all&next="+env.Next))
	if !bytes.Equal(r2.body, r3.body) {
		t.Errorf("added_after page %s differs from next page %s", r2.body, r3.body)
	}

	// A limit above the cap is clamped; without one, the default applies.
	e.grant(e.other, "Contributor Org", true, true)
	e.add(e.other, indicators(100, 100, 0)...)
	e.add(e.other, indicators(200, 100, 0)...)
	e.add(e.other, indicators(300, 100, 0)...)
	for _, tt := range []struct {
		query string
		n     int
	}{
		{"limit=99999999999999999999999999", 200},
		{"limit=100000", 200},
		{"", 50},
		{"limit=7", 7},
	} {
		r := e.get("reader", colPath(e.other, "objects/?"+tt.query))
		expect(t, r, http.StatusOK)
		var env envelopeResource
		r.decode(t, &env)
		if len(env.Objects) != tt.n || !env.More {
			t.Errorf("?%s: %d objects (more %v), want %d", tt.query, len(env.Objects), env.More, tt.n)
		}
	}
}

// TestPaginationWhileWriting pages through a collection while another
// client keeps adding objects: every object is seen exactly once.
func TestPaginationWhileWriting(t *testing.T) {
	e := newEnv(t, nil, false)
	for i := range 10 {
		e.add(e.intel, indicators(i*20, 20, 0)...)
	}
	const batches = 30
	done := make(chan error, 1)
	go func() {
		for i := range batches {
			r := doWith(t, e.ts.Client(), e.ts.URL, req{method: http.MethodPost, path: colPath(e.intel, "objects/"),
				token: e.tokens["contributor"], body: envelope(indicators(1000+i*10, 10, 0)...)})
			if r.status != http.StatusAccepted {
				done <- &tearline.Error{Code: "post", Message: r.String()}
				return
			}
		}
		done <- nil
	}()
	seen := map[string]int{}
	var order []string
	next, last := "", ""
	for {
		q := "limit=7"
		if next != "" {
			q += "&next=" + next
		}
		r := e.get("reader", colPath(e.intel, "objects/?"+q))
		expect(t, r, http.StatusOK)
		var env envelopeResource
		r.decode(t, &env)
		for _, id := range env.ids(t) {
			seen[id]++
			order = append(order, id)
		}
		if h := r.header.Get("X-TAXII-Date-Added-Last"); h != "" {
			last = h
		}
		if !env.More {
			break
		}
		next = env.Next
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// What was added after the last page is reached with added_after.
	for more := true; more; {
		r := e.get("reader", colPath(e.intel, "objects/?limit=50&added_after="+last))
		expect(t, r, http.StatusOK)
		var env envelopeResource
		r.decode(t, &env)
		for _, id := range env.ids(t) {
			seen[id]++
		}
		if h := r.header.Get("X-TAXII-Date-Added-Last"); h != "" {
			last = h
		}
		more = env.More
	}
	if len(seen) != 200+batches*10 {
		t.Errorf("saw %d distinct objects, want %d", len(seen), 200+batches*10)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", id, n)
		}
	}
	// The objects that were there before paging started come first, in
	// the order they were added.
	if diff := cmp.Diff(pageAllIDs(0, 200), order[:200]); diff != "" {
		t.Errorf("initial objects out of order (-want +got):\n%s", diff)
	}
}

func pageAllIDs(from, n int) []string {
	var out []string
	for i := from; i < from+n; i++ {
		out = append(out, objID("indicator", i))
	}
	return out
}

func TestGetObjectBytes(t *testing.T) {
	e := newEnv(t, nil, false)
	e.seed()
	// The stored bytes come back exactly, custom property and spacing
	// included.
	for _, path := range []string{
		colPath(e.intel, "objects/"+objID("indicator", 5)+"/"),
		colPath(e.intel, "objects/"+objID("indicator", 5)),
		"/taxii2/default/collections/intel/objects/" + objID("indicator", 5) + "/",
	} {
		r := e.get("reader", path)
		expect(t, r, http.StatusOK)
		want := `{"more":false,"objects":[` + indicator(5, 0) + `]}`
		if string(r.body) != want {
			t.Errorf("%s:\n got %s\nwant %s", path, r.body, want)
		}
		if r.header.Get("X-TAXII-Date-Added-First") == "" || r.header.Get("X-TAXII-Date-Added-Last") == "" {
			t.Errorf("%s: no date-added headers", path)
		}
	}
	one := func(query string) []string {
		r := e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 1)+"/?"+query))
		expect(t, r, http.StatusOK)
		var env envelopeResource
		r.decode(t, &env)
		var out []string
		for _, o := range env.Objects {
			out = append(out, string(o))
		}
		return out
	}
	if diff := cmp.Diff([]string{indicator(1, 1)}, one("")); diff != "" {
		t.Errorf("latest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{indicator(1, 0), indicator(1, 1)}, one("match[version]=all")); diff != "" {
		t.Errorf("all (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{indicator(1, 0)}, one("match[version]=first")); diff != "" {
		t.Errorf("first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{indicator(1, 0)}, one("match[version]=all&limit=1")); diff != "" {
		t.Errorf("all, limit 1 (-want +got):\n%s", diff)
	}
	expect(t, e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 99)+"/")), http.StatusNotFound)
	expect(t, e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 1)+"/?match[version]=2000-01-01T00:00:00.000Z")), http.StatusNotFound)
	expect(t, e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 1)+"/?match[spec_version]=2.0")), http.StatusNotFound)
	// Past the end of a listing is an empty page, not an error.
	r := e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 1)+"/?added_after=2099-01-01T00:00:00Z"))
	expect(t, r, http.StatusOK)
	if string(r.body) != `{"more":false}` {
		t.Errorf("empty page %s", r.body)
	}
}

func TestVersionsAndManifest(t *testing.T) {
	e := newEnv(t, nil, false)
	e.seed()
	v0, v1 := baseTime.Format(millisLayout), baseTime.Add(time.Minute).Format(millisLayout)

	r := e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 0)+"/versions/"))
	expect(t, r, http.StatusOK)
	var vr versionsResource
	r.decode(t, &vr)
	if diff := cmp.Diff(versionsResource{Versions: []string{v0, v1}}, vr); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	if r.header.Get("X-TAXII-Date-Added-First") == "" || r.header.Get("X-TAXII-Date-Added-First") >= r.header.Get("X-TAXII-Date-Added-Last") {
		t.Errorf("versions headers %v", r.header)
	}
	r = e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 0)+"/versions/?limit=1"))
	r.decode(t, &vr)
	if len(vr.Versions) != 1 || !vr.More || vr.Next == "" {
		t.Fatalf("versions page %s", r.body)
	}
	r = e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 0)+"/versions/?limit=1&next="+vr.Next))
	vr = versionsResource{}
	r.decode(t, &vr)
	if diff := cmp.Diff(versionsResource{Versions: []string{v1}}, vr); diff != "" {
		t.Errorf("second versions page (-want +got):\n%s", diff)
	}
	expect(t, e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 77)+"/versions/")), http.StatusNotFound)
	expect(t, e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 0)+"/versions/?match[version]=all")), http.StatusBadRequest)

	// An SCO has no timestamps: its version is its date_added.
	r = e.get("reader", colPath(e.intel, "manifest/?match[type]=ipv4-addr&limit=1"))
	expect(t, r, http.StatusOK)
	var m manifestResource
	r.decode(t, &m)
	if len(m.Objects) != 1 || m.Objects[0].Version != m.Objects[0].DateAdded || m.Objects[0].ID != objID("ipv4-addr", 0) {
		t.Errorf("SCO manifest %s", r.body)
	}

	r = e.get("reader", colPath(e.intel, "manifest/?match[id]="+objID("indicator", 2)+"&match[version]=all"))
	expect(t, r, http.StatusOK)
	r.decode(t, &m)
	if len(m.Objects) != 2 {
		t.Fatalf("manifest %s", r.body)
	}
	for i, rec := range m.Objects {
		want := manifestRecord{ID: objID("indicator", 2), DateAdded: rec.DateAdded, Version: []string{v0, v1}[i], MediaType: mediaSTIX}
		if diff := cmp.Diff(want, rec); diff != "" {
			t.Errorf("manifest record %d (-want +got):\n%s", i, diff)
		}
	}
	if r.header.Get("X-TAXII-Date-Added-First") != m.Objects[0].DateAdded || r.header.Get("X-TAXII-Date-Added-Last") != m.Objects[1].DateAdded {
		t.Errorf("manifest headers %v for %s", r.header, r.body)
	}
	// The manifest lists what the objects endpoint returns.
	var ids []string
	for next := ""; ; {
		q := "limit=6"
		if next != "" {
			q += "&next=" + next
		}
		r := e.get("reader", colPath(e.intel, "manifest/?"+q))
		expect(t, r, http.StatusOK)
		var m manifestResource
		r.decode(t, &m)
		for _, rec := range m.Objects {
			ids = append(ids, rec.ID)
		}
		if !m.More {
			break
		}
		next = m.Next
	}
	if diff := cmp.Diff(pageAll(t, e, "reader", colPath(e.intel, "objects/"), ""), ids); diff != "" {
		t.Errorf("manifest ids differ from objects (-objects +manifest):\n%s", diff)
	}
}

func TestDeleteObject(t *testing.T) {
	e := newEnv(t, nil, false)
	e.seed()
	del := func(who, id, query string) *response {
		return e.do(req{method: http.MethodDelete, path: colPath(e.intel, "objects/"+id+"/?"+query), token: e.tokens[who]})
	}
	versions := func(id string) []string {
		r := e.get("reader", colPath(e.intel, "objects/"+id+"/versions/"))
		if r.status == http.StatusNotFound {
			return nil
		}
		expect(t, r, http.StatusOK)
		var vr versionsResource
		r.decode(t, &vr)
		return vr.Versions
	}
	ind0, ind1 := objID("indicator", 0), objID("indicator", 1)

	expect(t, del("reader", ind0, ""), http.StatusForbidden)
	expect(t, del("contributor", ind0, ""), http.StatusForbidden)
	expect(t, del("nogrant", ind0, ""), http.StatusNotFound)
	expect(t, del("admin", ind0, ""), http.StatusNotFound)
	if len(versions(ind0)) != 2 {
		t.Fatal("a refused delete removed versions")
	}

	expect(t, del("analyst", ind0, "match[version]=first"), http.StatusOK)
	if got := versions(ind0); len(got) != 1 || got[0] != baseTime.Add(time.Minute).Format(millisLayout) {
		t.Errorf("after deleting the first version: %v", got)
	}
	expect(t, del("analyst", ind1, "match[version]="+baseTime.Add(time.Minute).Format(millisLayout)), http.StatusOK)
	if got := versions(ind1); len(got) != 1 || got[0] != baseTime.Format(millisLayout) {
		t.Errorf("after deleting version 1: %v", got)
	}
	expect(t, del("analyst", ind1, "match[spec_version]=2.0"), http.StatusNotFound)
	expect(t, del("analyst", ind1, ""), http.StatusOK)
	if got := versions(ind1); got != nil {
		t.Errorf("after deleting all versions: %v", got)
	}
	expect(t, e.get("reader", colPath(e.intel, "objects/"+ind1+"/")), http.StatusNotFound)
	expect(t, del("analyst", ind1, ""), http.StatusNotFound)
	expect(t, del("analyst", ind0, "match[type]=indicator"), http.StatusBadRequest)
	expect(t, del("analyst", "not-an-id", ""), http.StatusBadRequest)
	if got := pageAll(t, e, "reader", colPath(e.intel, "objects/"), "match[type]=indicator"); slices.Contains(got, ind1) || len(got) != 9 {
		t.Errorf("indicators after deletes: %d, %v", len(got), got)
	}
}

// TestBadInput sends malformed requests: each gets the right TAXII error,
// with a message that names what to fix.
func TestBadInput(t *testing.T) {
	e := newEnv(t, nil, false)
	e.seed()
	otherNext := func() string {
		e.grant(e.other, "Contributor Org", true, true)
		e.add(e.other, indicators(500, 3, 0)...)
		r := e.get("reader", colPath(e.other, "objects/?limit=1"))
		var env envelopeResource
		r.decode(t, &env)
		return env.Next
	}()
	objects := colPath(e.intel, "objects/")
	ind := objects + objID("indicator", 3) + "/"
	tests := []struct {
		name, path string
		status     int
		mention    string // in the error description
	}{
		{"unknown parameter", objects + "?foo=1", 400, `"foo"`},
		{"unknown match", objects + "?match[foo]=x", 400, `match[foo]`},
		{"bad added_after", objects + "?added_after=yesterday", 400, "added_after"},
		{"offset added_after", objects + "?added_after=2024-01-01T00:00:00%2B01:00", 400, "added_after"},
		{"repeated added_after", objects + "?added_after=2024-01-01T00:00:00Z&added_after=2024-01-02T00:00:00Z", 400, "added_after"},
		{"zero limit", objects + "?limit=0", 400, "limit"},
		{"negative limit", objects + "?limit=-5", 400, "limit"},
		{"word limit", objects + "?limit=ten", 400, "limit"},
		{"fractional limit", objects + "?limit=1.5", 400, "limit"},
		{"empty limit", objects + "?limit=", 400, "limit"},
		{"garbage next", objects + "?next=garbage", 400, "next"},
		{"tampered next", objects + "?next=AAAAAAAAAAAAAAAA", 400, "next"},
		{"foreign next", objects + "?next=" + otherNext, 400, "next"},
		{"bad id", objects + "?match[id]=indicator--1234", 400, "match[id]"},
		{"bad type", objects + "?match[type]=Bad_Type", 400, "match[type]"},
		{"empty list item", objects + "?match[type]=indicator,,malware", 400, "match[type]"},
		{"bad version", objects + "?match[version]=latest", 400, "match[version]"},
		{"bad spec_version", objects + "?match[spec_version]=two", 400, "match[spec_version]"},
		{"malformed query", objects + "?match[type]=%zz", 400, "query"},
		{"match[id] on one object", ind + "?match[id]=" + objID("indicator", 3), 400, "match[id]"},
		{"match[type] on versions", ind + "versions/?match[type]=indicator", 400, "match[type]"},
		{"bad object id", objects + "indicator--not-a-uuid/", 400, "indicator--not-a-uuid"},
		{"object id without type", objects + "6ba7b810-9dad-11d1-80b4-00c04fd430c8/", 400, "type--UUID"},
		{"dot-dot segment", objects + "../../../../../etc/passwd", 400, ".."},
		{"encoded dot-dot", objects + "%2e%2e/", 400, ".."},
		{"encoded slash", objects + "indicator--x%2F..%2Fy/", 400, "slash"},
		{"double slash", "/taxii2/default//collections/", 400, "//"},
		{"unknown path", "/taxii2/default/collections/" + e.intel.ID + "/nope/", 404, "nope"},
		{"unknown root path", "/nope", 404, "/taxii2/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get("reader", tt.path)
			expect(t, r, tt.status)
			var er errorResource
			r.decode(t, &er)
			if !strings.Contains(er.Description, tt.mention) {
				t.Errorf("description %q does not mention %q", er.Description, tt.mention)
			}
			if r.header.Get("Content-Type") != mediaTAXII {
				t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
			}
		})
	}

	// Wrong methods get 405 with Allow.
	r := e.do(req{method: http.MethodPut, path: objects, token: e.tokens["reader"], body: []byte("{}")})
	expect(t, r, http.StatusMethodNotAllowed)
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("Allow %q", allow)
	}
}

// TestAccess checks who may do what, by status code.
func TestAccess(t *testing.T) {
	e := newEnv(t, nil, false)
	e.seed()
	objects := colPath(e.intel, "objects/")
	manifest := colPath(e.intel, "manifest/")
	body := envelope(indicator(900, 0))
	tests := []struct {
		who, method, path string
		status            int
	}{
		{"reader", "GET", objects, 200},
		{"reader", "GET", manifest, 200},
		{"reader", "POST", objects, 403},
		{"contributor", "POST", objects, 202},
		{"analyst", "POST", objects, 202},
		{"nogrant", "GET", objects, 404},
		{"nogrant", "POST", objects, 404},
		{"writeonly", "GET", objects, 404},
		{"writeonly", "POST", objects, 404},
		{"admin", "GET", objects, 404},
		{"admin", "GET", manifest, 404},
		{"", "GET", objects, 401},
		{"", "POST", objects, 401},
		{"", "GET", "/taxii2/default/", 401},
		{"", "GET", "/taxii2/default/collections/", 401},
		{"reader", "GET", "/api/v1/organizations/", 403},
		{"", "GET", "/api/v1/organizations/", 401},
		{"admin", "GET", "/api/v1/organizations/", 200},
	}
	for _, tt := range tests {
		var b []byte
		if tt.method == "POST" {
			b = body
		}
		r := e.do(req{method: tt.method, path: tt.path, token: e.tokens[tt.who], body: b})
		if r.status != tt.status {
			t.Errorf("%s %s %s: %d, want %d: %s", tt.who, tt.method, tt.path, r.status, tt.status, r.body)
		}
		if r.status == 401 {
			if h := r.header.Values("WWW-Authenticate"); len(h) != 2 || !strings.HasPrefix(h[0], "Bearer") || !strings.HasPrefix(h[1], "Basic") {
				t.Errorf("%s %s: WWW-Authenticate %q", tt.method, tt.path, h)
			}
		}
	}

	// A contributor of an organization with only a read grant is refused
	// with 403, and one whose key is a reader is told so.
	ctx := context.Background()
	readerContrib := e.newKey(e.orgs["Reader Org"], tearline.RoleContributor)
	r := e.do(req{method: "POST", path: objects, token: readerContrib, body: body})
	expect(t, r, http.StatusForbidden)
	contribReader := e.newKey(e.orgs["Contributor Org"], tearline.RoleReader)
	r = e.do(req{method: "POST", path: objects, token: contribReader, body: body})
	expect(t, r, http.StatusForbidden)
	if !strings.Contains(string(r.body), "contributor") {
		t.Errorf("403 for a reader key does not name the role needed: %s", r.body)
	}
	var c collectionResource
	e.do(req{path: colPath(e.intel, ""), token: contribReader}).decode(t, &c)
	if !c.CanRead || c.CanWrite {
		t.Errorf("reader key of a writing organization: can_read %v can_write %v", c.CanRead, c.CanWrite)
	}
	// Grants changed through the store apply at once.
	if err := e.db.SetGrant(ctx, tearline.Grant{CollectionID: e.intel.ID, OrgID: e.orgs["Reader Org"].ID}); err != nil {
		t.Fatal(err)
	}
	expect(t, e.get("reader", objects), http.StatusNotFound)
}

func TestMediaTypes(t *testing.T) {
	e := newEnv(t, nil, false)
	collections := "/taxii2/default/collections/"
	for _, tt := range []struct {
		accept string
		status int
	}{
		{mediaTAXII, 200},
		{"application/taxii+json; version=2.1", 200},
		{"application/taxii+json", 200},
		{"*/*", 200},
		{"application/*", 200},
		{"text/html, application/taxii+json;version=2.1;q=0.5", 200},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 200},
		{"", 200},
		{"application/json", 406},
		{"application/taxii+json;version=2.0", 406},
		{"application/vnd.oasis.taxii+json; version=2.0", 406},
		{"application/stix+json;version=2.1", 406},
		{"text/html", 406},
		{"application/taxii+json;version=2.1;q=0", 406},
	} {
		r := e.do(req{path: collections, token: e.tokens["reader"], header: map[string]string{"Accept": tt.accept}})
		expect(t, r, tt.status)
		if got := r.header.Get("Content-Type"); got != mediaTAXII {
			t.Errorf("Accept %q: Content-Type %q", tt.accept, got)
		}
	}

	objects := colPath(e.intel, "objects/")
	for _, tt := range []struct {
		contentType string
		status      int
	}{
		{mediaTAXII, 202},
		{"application/taxii+json", 202},
		{"application/taxii+json; version=2.1; charset=utf-8", 202},
		{"application/json", 415},
		{"application/stix+json;version=2.1", 415},
		{"application/taxii+json;version=2.0", 415},
		{"", 415},
	} {
		r := e.do(req{method: "POST", path: objects, token: e.tokens["contributor"], body: envelope(indicator(1, 0)),
			header: map[string]string{"Content-Type": tt.contentType}})
		expect(t, r, tt.status)
	}
}

// TestReleaseAdvancesCursor checks that a page whose entries are all
// withheld by release still moves the client past them.
func TestReleaseAdvancesCursor(t *testing.T) {
	e := newEnv(t, nil, false)
	e.add(e.intel, indicators(0, 6, 0)...)
	c := &collection{Collection: e.intel, canRead: true}
	p := &tearline.Principal{Org: e.orgs["Reader Org"], Role: tearline.RoleReader}
	page, err := e.db.QueryObjects(context.Background(), tearline.ObjectQuery{CollectionID: e.intel.ID, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	withheld := &collection{Collection: e.intel} // cannot read: release withholds everything
	rel, err := e.srv.releasePage(context.Background(), ledger.PathObjects, p, withheld, page)
	if err != nil {
		t.Fatal(err)
	}
	if len(rel.entries) != 0 || !rel.more || rel.next != nextToken(page.Entries[2].DateAdded, e.intel.ID) {
		t.Fatalf("withheld page: %+v", rel)
	}
	if rel, err = e.srv.releasePage(context.Background(), ledger.PathObjects, p, c, page); err != nil {
		t.Fatal(err)
	}
	if len(rel.raws) != 3 || rel.next != nextToken(page.Entries[2].DateAdded, e.intel.ID) {
		t.Fatalf("released page: %+v", rel)
	}
	var buf bytes.Buffer
	w := &headerRecorder{header: http.Header{}, buf: &buf}
	if err := writeEnvelope(w, rel); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) || w.header.Get("Content-Length") != strconv.Itoa(buf.Len()) {
		t.Errorf("envelope %s, Content-Length %s", buf.Bytes(), w.header.Get("Content-Length"))
	}
}

type headerRecorder struct {
	header http.Header
	buf    *bytes.Buffer
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(p []byte) (int, error) { return h.buf.Write(p) }
func (h *headerRecorder) WriteHeader(int)             {}

// failingWriter is a ResponseWriter whose connection breaks after n bytes.
type failingWriter struct {
	header http.Header
	n      int
}

func (f *failingWriter) Header() http.Header { return f.header }
func (f *failingWriter) WriteHeader(int)     {}
func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errors.New("connection reset")
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriteEnvelopeReusesBuffers checks that an envelope written through a
// pooled buffer holds nothing of the one written before it, even when that
// one failed part way with its bytes still buffered.
func TestWriteEnvelopeReusesBuffers(t *testing.T) {
	big := &released{more: true, next: "n1"}
	for i := range 200 { // 200 KiB: several buffers' worth
		big.raws = append(big.raws, []byte(`{"n":`+strconv.Itoa(i)+`,"pad":"`+strings.Repeat("x", 1000)+`"}`))
	}
	for range 3 {
		if err := writeEnvelope(&failingWriter{header: http.Header{}, n: 100 << 10}, big); err == nil {
			t.Fatal("writing to a broken connection did not fail")
		}
		small := &released{raws: [][]byte{[]byte(`{"id":"a"}`), []byte(`{"id":"b"}`)}}
		var buf bytes.Buffer
		w := &headerRecorder{header: http.Header{}, buf: &buf}
		if err := writeEnvelope(w, small); err != nil {
			t.Fatal(err)
		}
		if want := `{"more":false,"objects":[{"id":"a"},{"id":"b"}]}`; buf.String() != want {
			t.Fatalf("envelope %s, want %s", buf.Bytes(), want)
		}
		if w.header.Get("Content-Length") != strconv.Itoa(buf.Len()) {
			t.Fatalf("Content-Length %s for %d bytes", w.header.Get("Content-Length"), buf.Len())
		}
	}
}
