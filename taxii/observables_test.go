package taxii

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
)

// patterned returns a valid indicator with id number n and the given STIX
// pattern, plus extra members when not empty.
func patterned(n int, pattern, extra string) string {
	ts := baseTime.Format(millisLayout)
	if extra != "" {
		extra = "," + extra
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,`+
		`"name":"indicator %d","pattern":%q,"pattern_type":"stix","valid_from":%q%s}`,
		objID("indicator", n), ts, ts, n, pattern, ts, extra)
}

// lookup GETs the observable entry of value (and kind, when not "") as who.
func (e *env) lookup(who, value, kind string) *response {
	e.t.Helper()
	q := url.Values{"value": {value}}
	if kind != "" {
		q.Set("kind", kind)
	}
	return e.get(who, "/api/v1/observables?"+q.Encode())
}

func TestObservablesAPI(t *testing.T) {
	e := newEnv(t, nil, false)
	if _, ok := e.db.(tearline.Observables); !ok {
		t.Skip("the test store keeps no observable index")
	}
	ctx := context.Background()
	// second writes to intel like contributor; third writes only to a
	// collection that no one else reads.
	hidden := &tearline.Collection{Alias: "hidden", Title: "hidden"}
	if err := e.db.CreateCollection(ctx, hidden); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"second", "third"} {
		o := &tearline.Organization{Name: name, Type: "private", Country: "US"}
		if err := e.db.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		e.orgs[name] = o
		e.tokens[name] = e.newKey(o, tearline.RoleContributor)
	}
	e.grant(e.intel, "second", true, true)
	e.grant(hidden, "third", true, true)
	contrib, second, third := e.orgs["Contributor Org"].ID, e.orgs["second"].ID, e.orgs["third"].ID

	x := patterned(1, "[ipv4-addr:value = '1.2.3.4']", "")
	y := patterned(2, "[ipv4-addr:value = '1.2.3.4/32'] OR [domain-name:value = 'Example.COM.']", "")
	red := patterned(3, "[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'red-only.example']", `"object_marking_refs":["`+marking.TLP2Red+`"]`)
	w := patterned(4, "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:x_port = 8]", "")
	post := func(who string, c *tearline.Collection, objs ...string) {
		t.Helper()
		r := e.post(who, colPath(c, "objects/"), envelope(objs...))
		expect(t, r, http.StatusAccepted)
		var st statusResource
		r.decode(t, &st)
		if st.Status != tearline.StatusComplete || st.SuccessCount != len(objs) {
			t.Fatalf("%s posting: %s", who, r.body)
		}
	}
	post("contributor", e.intel, x, red)
	post("second", e.intel, y, x) // x again: the same object, corroborated
	post("third", hidden, w)

	get := func(who, value, kind string) observableJSON {
		t.Helper()
		r := e.lookup(who, value, kind)
		expect(t, r, http.StatusOK)
		var j observableJSON
		r.decode(t, &j)
		return j
	}
	ids := func(j observableJSON) []string {
		var out []string
		for _, o := range j.Objects {
			out = append(out, o.ID+" "+fmt.Sprint(o.Sources))
		}
		slices.Sort(out)
		return out
	}
	orgs := func(j observableJSON) []string {
		var out []string
		for _, o := range j.SourceOrganizations {
			out = append(out, o.ID)
		}
		slices.Sort(out)
		return out
	}
	idX, idY, idRed, idW := objID("indicator", 1), objID("indicator", 2), objID("indicator", 3), objID("indicator", 4)

	// The reader sees x and y in intel, not the RED object nor w in a
	// collection it cannot read; it counts all three sources but is told
	// only the two whose objects it may receive.
	for _, value := range []string{"1.2.3.4", "1.2.3.4/32", "::ffff:1.2.3.4"} {
		j := get("reader", value, "")
		wantObjs := []string{idX + " " + fmt.Sprint(sorted(contrib, second)), idY + " " + fmt.Sprint([]string{second})}
		slices.Sort(wantObjs)
		if j.Kind != "ipv4" || j.Value != "1.2.3.4" || j.Sources != 3 || j.FirstSeen == "" || j.LastSeen == "" ||
			!slices.Equal(ids(j), wantObjs) || !slices.Equal(orgs(j), sorted(contrib, second)) {
			t.Errorf("reader looking up %s: %+v; want objects %v", value, j, wantObjs)
		}
	}
	// The third organization may read w, and knows itself.
	j := get("third", "1.2.3.4", "ipv4")
	if !slices.Equal(ids(j), []string{idW + " " + fmt.Sprint([]string{third})}) || !slices.Equal(orgs(j), []string{third}) || j.Sources != 3 {
		t.Errorf("third looking up 1.2.3.4: %+v", j)
	}
	// Normalized domains, and the kind given.
	for _, v := range [][2]string{{"EXAMPLE.com.", ""}, {"example.com", "domain"}, {"Example.Com", "DOMAIN"}} {
		j := get("reader", v[0], v[1])
		if j.Kind != "domain" || j.Value != "example.com" || j.Sources != 1 || !slices.Equal(ids(j), []string{idY + " " + fmt.Sprint([]string{second})}) {
			t.Errorf("looking up %v: %+v", v, j)
		}
	}
	// Nothing about the RED object leaks: its id nowhere, and a value only
	// it carries is not found, as for a value never seen.
	for _, who := range []string{"reader", "contributor", "third"} {
		r := e.lookup(who, "1.2.3.4", "")
		if bytes.Contains(r.body, []byte(idRed)) {
			t.Errorf("%s learns the RED object's id: %s", who, r.body)
		}
	}
	notFound := e.lookup("reader", "never-seen.example", "")
	expect(t, notFound, http.StatusNotFound)
	hiddenOnly := e.lookup("reader", "red-only.example", "")
	expect(t, hiddenOnly, http.StatusNotFound)
	var a, b errorResource
	notFound.decode(t, &a)
	hiddenOnly.decode(t, &b)
	if a.Title != b.Title {
		t.Errorf("a hidden value's answer %q differs from an unknown value's %q", b.Title, a.Title)
	}
	// An organization with no grants sees nothing at all.
	expect(t, e.lookup("nogrant", "1.2.3.4", ""), http.StatusNotFound)
	// The submitter of a value it cannot read is told the entry, without
	// objects: contributor submitted red-only.example.
	if j := get("contributor", "red-only.example", ""); j.Sources != 1 || len(j.Objects) != 0 || !slices.Equal(orgs(j), []string{contrib}) {
		t.Errorf("contributor looking up its own RED value: %+v", j)
	}
	// limit
	r := e.get("reader", "/api/v1/observables/?value=1.2.3.4&limit=1")
	expect(t, r, http.StatusOK)
	r.decode(t, &j)
	if len(j.Objects) != 1 || !j.MoreObjects {
		t.Errorf("limit=1: %+v", j)
	}

	// Bad requests.
	for _, path := range []string{
		"/api/v1/observables", "/api/v1/observables?value=1.2.3.4&kind=ip", "/api/v1/observables?value=1.2.3.400&kind=ipv4",
		"/api/v1/observables?value=not+a+value", "/api/v1/observables?value=1.2.3.4&limit=0", "/api/v1/observables?value=1.2.3.4&x=1",
	} {
		expect(t, e.get("reader", path), http.StatusBadRequest)
	}
	expect(t, e.do(req{path: "/api/v1/observables?value=1.2.3.4"}), http.StatusUnauthorized)
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
