package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/marking/markingtest"
)

var longMarkings = flag.Bool("markings.long", false, "run the randomized markings test with many more seeds and larger sizes (also TEARLINE_LONG=1)")

// randomSize is the size of one randomized markings run.
type randomSize struct {
	orgs, collections, objects, defs int
	limit                            int // page size of the paged reads
	// perID is how many ids, drawn at random, each organization reads one
	// by one (object and versions) in each collection; 0 means every id.
	perID int
}

func (s randomSize) String() string {
	return fmt.Sprintf("orgs=%d,collections=%d,objects=%d,limit=%d,perID=%d", s.orgs, s.collections, s.objects, s.limit, s.perID)
}

// TestRandomMarkings is the randomized test of every read path: random
// organizations with random profiles and grants post random objects with
// random object and granular markings into several collections; then
// every organization reads every collection through GET objects (every
// version, and the last ones), GET object, versions and manifest, paging
// with a small limit, and what arrives is compared, object by object and
// field by field, with the independent model of package markingtest.
// Excluded objects must not show on any path, not even their id;
// redacted copies must hold exactly what the model keeps, every untouched
// property byte for byte; whole objects must be the posted bytes; nothing
// the rules allow may be missing. The long run reads every id one by one
// and many more seeds and sizes:
//
//	go test ./taxii/ -run TestRandomMarkings -markings.long
//	TEARLINE_LONG=1 go test ./taxii/ -run TestRandomMarkings
//
// (the flag goes after the package: go test takes what follows an unknown
// flag for arguments of the test binary). A failing run is repeated alone
// with -run 'TestRandomMarkings/<its subtest name>'.
func TestRandomMarkings(t *testing.T) {
	// Every request costs some milliseconds under -race, so the default
	// run reads a sample of the ids one by one; the long run reads all.
	type run struct {
		seed uint64
		size randomSize
	}
	runs := []run{
		{1, randomSize{orgs: 8, collections: 4, objects: 150, defs: 10, limit: 7, perID: 10}},
		{2, randomSize{orgs: 6, collections: 3, objects: 80, defs: 8, limit: 5, perID: 10}},
	}
	if *longMarkings || os.Getenv("TEARLINE_LONG") == "1" {
		runs = nil
		for seed := uint64(100); seed < 108; seed++ {
			runs = append(runs,
				run{seed, randomSize{orgs: 8, collections: 4, objects: 150, defs: 10, limit: 7}},
				run{seed, randomSize{orgs: 14, collections: 6, objects: 400, defs: 16, limit: 13}},
				run{seed, randomSize{orgs: 5, collections: 2, objects: 600, defs: 6, limit: 50, perID: 100}},
			)
		}
	}
	for _, r := range runs {
		t.Run(fmt.Sprintf("%v/seed=%d", r.size, r.seed), func(t *testing.T) {
			t.Parallel()
			runRandomMarkings(t, r.seed, r.size)
		})
	}
}

// randomOrg is an organization of the randomized test.
type randomOrg struct {
	org         *tearline.Organization
	prof        markingtest.Profile
	token       string
	read, write map[string]bool // by collection id
	parents     []*randomOrg    // the organizations it is a client of
}

// access reports whether o may read collection c, and whether only as a
// client of an organization that reads it.
func (o *randomOrg) access(c string) (read, client bool) {
	if o.read[c] {
		return true, false
	}
	for _, p := range o.parents {
		if p.read[c] {
			return true, true
		}
	}
	return false, false
}

// reader is the organization as the model sees a reader of collection c.
func (o *randomOrg) reader(c string) markingtest.Reader {
	_, client := o.access(c)
	return markingtest.Reader{
		OrgID: o.org.ID, Country: o.prof.Country, Communities: o.prof.Communities, Clearance: o.prof.Clearance,
		Member: true, CollectionReader: !client, ClientOf: client,
	}
}

// stored is an object version the server accepted into a collection.
type stored struct {
	id, version string // version "" for objects without modified
	raw         []byte
	value       map[string]any
}

func (s *stored) key() string { return s.id + " " + s.version }

// pendingPost is an object version to post and whether the model expects
// the server to accept it.
type pendingPost struct {
	col    *tearline.Collection
	poster *randomOrg
	obj    markingtest.Object
	accept bool
}

func runRandomMarkings(t *testing.T, seed uint64, sz randomSize) {
	start := time.Now()
	rng := rand.New(rand.NewPCG(seed, 0x7ea71e))
	cfg := testConfig()
	e := newEnv(t, &cfg, false)
	ctx := context.Background()

	orgs := make([]*randomOrg, sz.orgs)
	var orgIDs []string
	for i := range orgs {
		prof := markingtest.RandomProfile(rng)
		if i == 0 {
			// The registrar posts the marking definitions everywhere.
			prof.Clearance = "TOP SECRET"
		}
		o := &tearline.Organization{
			Name: fmt.Sprintf("random org %d", i), Type: tearline.OrganizationTypes[rng.IntN(len(tearline.OrganizationTypes))],
			Country: prof.Country, Communities: prof.Communities, Clearance: prof.Clearance,
		}
		if err := e.db.CreateOrganization(ctx, o); err != nil {
			t.Fatalf("create organization %+v: %v", prof, err)
		}
		orgs[i] = &randomOrg{org: o, prof: prof, token: e.newKey(o, tearline.RoleContributor), read: map[string]bool{}, write: map[string]bool{}}
		orgIDs = append(orgIDs, o.ID)
	}
	cols := make([]*tearline.Collection, sz.collections)
	writers := map[string][]*randomOrg{}
	for i := range cols {
		c := &tearline.Collection{Alias: fmt.Sprintf("random-%d", i), Title: fmt.Sprintf("random %d", i)}
		if err := e.db.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
		cols[i] = c
		for j, o := range orgs {
			read, write := j == 0 || rng.IntN(10) < 5, j == 0 || rng.IntN(10) < 4
			if !read && !write {
				continue
			}
			if err := e.db.SetGrant(ctx, tearline.Grant{CollectionID: c.ID, OrgID: o.org.ID, Read: read, Write: write}); err != nil {
				t.Fatal(err)
			}
			o.read[c.ID], o.write[c.ID] = read, write
			if write {
				writers[c.ID] = append(writers[c.ID], o)
			}
		}
	}

	// Some organizations are clients of others: they read, as clients, what
	// those read.
	for i, o := range orgs[1:] {
		if rng.IntN(2) != 0 {
			continue
		}
		parent := orgs[rng.IntN(len(orgs))]
		if parent == o || slices.Contains(o.parents, parent) {
			continue
		}
		if err := e.db.SetClient(ctx, parent.org.ID, o.org.ID, true); err != nil {
			t.Fatalf("org %d client of %s: %v", i+1, parent.org.Name, err)
		}
		o.parents = append(o.parents, parent)
	}

	// Marking definitions first, each into some of the collections.
	defs := markingtest.RandomDefs(rng, sz.defs)
	model := markingtest.NewModel(defs...)
	objects := map[string][]*stored{} // by collection id
	ids := map[string][]string{}      // every id posted to a collection, refused ones too
	for _, c := range cols {
		var raws []string
		for _, d := range defs {
			if c == cols[0] || rng.IntN(3) == 0 {
				raws = append(raws, string(d.JSON()))
				var v map[string]any
				json.Unmarshal(d.JSON(), &v)
				objects[c.ID] = append(objects[c.ID], &stored{id: d.ID, raw: d.JSON(), value: v})
				ids[c.ID] = append(ids[c.ID], d.ID)
			}
		}
		if len(raws) == 0 {
			continue
		}
		r := e.do(req{method: http.MethodPost, path: colPath(c, "objects/"), token: orgs[0].token, body: envelope(raws...)})
		expect(t, r, http.StatusAccepted)
		var st statusResource
		r.decode(t, &st)
		if st.SuccessCount != len(raws) {
			t.Fatalf("seed %d: posting the marking definitions: %s", seed, r.body)
		}
	}

	// Objects, some in several versions, posted by random writers.
	base := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	var posts []pendingPost
	for range sz.objects {
		c := cols[rng.IntN(len(cols))]
		ws := writers[c.ID]
		owner := ws[rng.IntN(len(ws))]
		typ := markingtest.Types[rng.IntN(len(markingtest.Types))]
		id := markingtest.NewID(rng, typ)
		ids[c.ID] = append(ids[c.ID], id)
		createdBy := ""
		switch k := rng.IntN(10); {
		case k < 6:
			createdBy = owner.org.ID
		case k < 7:
			createdBy = orgIDs[rng.IntN(len(orgIDs))]
		}
		versions := 1
		for versions < 3 && rng.IntN(4) == 0 {
			versions++
		}
		for v := range versions {
			poster := owner
			if rng.IntN(10) < 3 {
				poster = ws[rng.IntN(len(ws))]
			}
			// Most objects are acceptable, as in real use; the rest check
			// that what the poster may not assert is refused.
			var obj markingtest.Object
			accept := false
			for try := 0; try < 3 && !accept; try++ {
				obj = markingtest.RandomObject(rng, markingtest.ObjectSpec{
					Type: typ, ID: id, Version: v, CreatedBy: createdBy, Orgs: orgIDs, Markings: defs, Base: base,
				})
				accept = model.Accept(poster.org.ID, poster.prof.Clearance, obj.Value)
			}
			posts = append(posts, pendingPost{col: c, poster: poster, obj: obj, accept: accept})
		}
	}
	refused := 0
	for _, batch := range postBatches(posts, 10) {
		var raws []string
		for _, p := range batch {
			raws = append(raws, string(p.obj.Raw))
		}
		r := e.do(req{method: http.MethodPost, path: colPath(batch[0].col, "objects/"), token: batch[0].poster.token, body: envelope(raws...)})
		expect(t, r, http.StatusAccepted)
		var st statusResource
		r.decode(t, &st)
		got := map[string]string{}
		for _, d := range st.Successes {
			got[d.ID+" "+d.Version] = ""
		}
		for _, d := range st.Failures {
			got[d.ID+" "+d.Version] = "refused: " + d.Message
		}
		for _, p := range batch {
			key := p.obj.ID + " " + p.obj.Modified
			why, ok := got[key]
			switch {
			case !ok:
				t.Fatalf("seed %d: the status of posting %s does not mention it: %s", seed, key, r.body)
			case p.accept && why != "":
				t.Errorf("seed %d: %s posted by %+v was %s\n%s", seed, key, p.poster.prof, why, p.obj.Raw)
			case !p.accept && why == "":
				t.Errorf("seed %d: %s posted by %+v was accepted; the model refuses it\n%s", seed, key, p.poster.prof, p.obj.Raw)
			}
			if why == "" {
				objects[p.col.ID] = append(objects[p.col.ID], &stored{id: p.obj.ID, version: p.obj.Modified, raw: p.obj.Raw, value: p.obj.Value})
			} else {
				refused++
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	posted := time.Now()

	// Every organization reads every collection through every path.
	ck := &randomChecker{t: t, e: e, model: model, seed: seed, limit: sz.limit, perID: sz.perID, rng: rand.New(rand.NewPCG(seed, 1))}
	for _, c := range cols {
		for _, o := range orgs {
			ck.collection(c, o, objects[c.ID], ids[c.ID])
		}
	}
	t.Logf("seed %d %v: %d object versions posted (%d refused), %d definitions; decisions: %d withheld, %d whole, %d redacted; %d collections read as a client; %d requests; post %v, read %v",
		seed, sz, len(posts), refused, len(defs), ck.counts[0], ck.counts[1], ck.counts[2], ck.clients, ck.requests,
		posted.Sub(start).Round(time.Millisecond), time.Since(posted).Round(time.Millisecond))
}

// postBatches groups posts by collection and poster, keeping their order,
// in envelopes of at most n objects.
func postBatches(posts []pendingPost, n int) [][]pendingPost {
	var keys []string
	groups := map[string][]pendingPost{}
	for _, p := range posts {
		k := p.col.ID + " " + p.poster.org.ID
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], p)
	}
	var out [][]pendingPost
	for _, k := range keys {
		g := groups[k]
		for len(g) > 0 {
			m := min(n, len(g))
			out = append(out, g[:m])
			g = g[m:]
		}
	}
	return out
}

// randomChecker reads as organizations and compares with the model.
type randomChecker struct {
	t        *testing.T
	e        *env
	model    *markingtest.Model
	seed     uint64
	limit    int
	perID    int
	rng      *rand.Rand // draws the ids read one by one
	counts   [3]int     // withheld, whole, redacted
	requests int
	errors   int
	clients  int // collections read as a client
}

func (ck *randomChecker) fail(format string, args ...any) {
	ck.t.Helper()
	ck.t.Errorf("seed %d: "+format, append([]any{ck.seed}, args...)...)
	if ck.errors++; ck.errors >= 25 {
		ck.t.Fatal("too many errors")
	}
}

func (ck *randomChecker) get(o *randomOrg, path string) *response {
	ck.t.Helper()
	ck.requests++
	return ck.e.do(req{path: path, token: o.token})
}

// pages reads every page of path with query, following next.
func (ck *randomChecker) pages(o *randomOrg, path, query string) []*response {
	ck.t.Helper()
	var out []*response
	next := ""
	for range 10000 {
		q := query
		if next != "" {
			q += "&next=" + next
		}
		r := ck.get(o, path+"?"+q)
		expect(ck.t, r, http.StatusOK)
		out = append(out, r)
		var page struct {
			More bool   `json:"more"`
			Next string `json:"next"`
		}
		r.decode(ck.t, &page)
		if !page.More {
			return out
		}
		if page.Next == "" {
			ck.t.Fatalf("%s?%s: more without next", path, q)
		}
		next = page.Next
	}
	ck.t.Fatal("too many pages")
	return nil
}

// collection checks what organization o receives from collection c, which
// holds the object versions objs; ids are every id posted to c.
func (ck *randomChecker) collection(c *tearline.Collection, o *randomOrg, objs []*stored, ids []string) {
	t := ck.t
	if read, _ := o.access(c.ID); !read {
		want := http.StatusNotFound
		if o.write[c.ID] {
			want = http.StatusForbidden
		}
		for _, p := range []string{"objects/", "manifest/", "objects/" + ids[0] + "/", "objects/" + ids[0] + "/versions/"} {
			expect(t, ck.get(o, colPath(c, p)), want)
		}
		return
	}
	r := o.reader(c.ID)
	if r.ClientOf {
		ck.clients++
	}
	who := fmt.Sprintf("org %s %+v reading %s (as client: %v)", o.org.Name, o.prof, c.Alias, r.ClientOf)
	// The model's decision on every version, and which are the last.
	type expected struct {
		s   *stored
		out markingtest.Outcome
	}
	all := map[string]expected{}
	last := map[string]*stored{}
	byID := map[string][]*stored{}
	for _, s := range objs {
		out := ck.model.Decide(r, s.value)
		all[s.key()] = expected{s, out}
		switch {
		case out.Withheld:
			ck.counts[0]++
		case out.Whole:
			ck.counts[1]++
		default:
			ck.counts[2]++
		}
		if l := last[s.id]; l == nil || l.version < s.version {
			last[s.id] = s
		}
		byID[s.id] = append(byID[s.id], s)
	}
	allowed := func(keep func(*stored) bool) []string {
		var out []string
		for k, x := range all {
			if !x.out.Withheld && keep(x.s) {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	// check compares one object received with the model.
	check := func(path string, raw []byte) string {
		var head struct {
			ID       string `json:"id"`
			Modified string `json:"modified"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			ck.fail("%s: %s: object is not JSON: %v\n%s", who, path, err, raw)
			return ""
		}
		key := head.ID + " " + head.Modified
		x, ok := all[key]
		switch {
		case !ok:
			ck.fail("%s: %s: received %s, which was never stored in the collection", who, path, key)
		case x.out.Withheld:
			ck.fail("%s: %s: received %s, which the rules exclude (%s)\n%s", who, path, key, x.out.Why, raw)
		case x.out.Whole:
			if !bytes.Equal(raw, x.s.raw) {
				ck.fail("%s: %s: %s should arrive whole, byte for byte\n got %s\nwant %s", who, path, key, raw, x.s.raw)
			}
		default:
			ck.redacted(who+": "+path, x.s, x.out, raw)
		}
		return key
	}
	compare := func(what string, want, got []string) {
		slices.Sort(got)
		if d := cmp.Diff(want, got); d != "" {
			var why strings.Builder
			for _, k := range want {
				if !slices.Contains(got, k) {
					x := all[k]
					fmt.Fprintf(&why, "\n%s allowed by the model, missing; the server's decision: %s\n%s", k, ck.serverDecision(o, x.s), x.s.raw)
				}
			}
			ck.fail("%s: %s (-allowed +received):\n%s%s", who, what, d, why.String())
		}
	}
	envelopeKeys := func(path string, rs []*response) []string {
		var keys []string
		for _, r := range rs {
			var env envelopeResource
			r.decode(t, &env)
			for _, raw := range env.Objects {
				keys = append(keys, check(path, raw))
			}
		}
		return keys
	}
	lim := fmt.Sprintf("limit=%d", ck.limit)

	// GET objects, every version and the last ones, page by page.
	p := colPath(c, "objects/")
	compare("objects?match[version]=all", allowed(func(*stored) bool { return true }),
		envelopeKeys("objects?match[version]=all", ck.pages(o, p, "match[version]=all&"+lim)))
	compare("objects (last versions)", allowed(func(s *stored) bool { return last[s.id] == s }),
		envelopeKeys("objects", ck.pages(o, p, lim)))

	// The manifest, every version.
	var got []string
	for _, r := range ck.pages(o, colPath(c, "manifest/"), "match[version]=all&"+lim) {
		var man manifestResource
		r.decode(t, &man)
		for _, m := range man.Objects {
			got = append(got, manifestKey(m.ID, m.Version, byID))
		}
	}
	compare("manifest?match[version]=all", allowed(func(*stored) bool { return true }), got)

	// Each object and its versions, by id: an id whose every version is
	// withheld is not found, exactly as one never stored.
	if ck.perID > 0 && len(ids) > ck.perID {
		ids = slices.Clone(ids)
		ck.rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		ids = ids[:ck.perID]
	}
	for _, id := range ids {
		want := allowed(func(s *stored) bool { return s.id == id })
		r := ck.get(o, colPath(c, "objects/"+id+"/?match[version]=all"))
		rv := ck.get(o, colPath(c, "objects/"+id+"/versions/"))
		if len(want) == 0 {
			if r.status != http.StatusNotFound || rv.status != http.StatusNotFound {
				ck.fail("%s: %s is withheld or absent, yet object answers %s and versions %s", who, id, r, rv)
			}
			continue
		}
		expect(t, r, http.StatusOK)
		expect(t, rv, http.StatusOK)
		compare("object "+id, want, envelopeKeys("object "+id, []*response{r}))
		var vs versionsResource
		rv.decode(t, &vs)
		got := make([]string, len(vs.Versions))
		for i, v := range vs.Versions {
			got[i] = manifestKey(id, v, byID)
		}
		compare("versions of "+id, want, got)
	}
}

// manifestKey is the key of a manifest or versions entry: an object
// without modified (a marking definition) has its date added as version,
// which the test does not know.
func manifestKey(id, version string, byID map[string][]*stored) string {
	if l := byID[id]; len(l) == 1 && l[0].version == "" {
		version = ""
	}
	return id + " " + version
}

// serverDecision is what the server's access decision says of s for o,
// for failure messages.
func (ck *randomChecker) serverDecision(o *randomOrg, s *stored) string {
	stored, err := ck.e.db.FindOrganization(context.Background(), o.org.ID)
	if err != nil {
		return err.Error()
	}
	res := ck.e.srv.policy.Decide(&marking.Recipient{
		OrgID: stored.ID, Country: stored.Country, Communities: stored.Communities, Clearance: stored.Clearance,
		Member: true, CollectionReader: true,
	}, s.raw)
	return fmt.Sprintf("%v (%s)", res.Decision, res.Reason)
}

// redacted checks a redacted copy: exactly the model's copy, and every
// property redaction did not touch byte for byte as posted.
func (ck *randomChecker) redacted(where string, s *stored, out markingtest.Outcome, raw []byte) {
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		ck.fail("%s: redacted copy of %s is not JSON: %v", where, s.key(), err)
		return
	}
	if d := cmp.Diff(out.Copy, got); d != "" {
		ck.fail("%s: redacted copy of %s (-model +received):\n%s\nposted %s\nreceived %s", where, s.key(), d, s.raw, raw)
		return
	}
	var gotRaw, postedRaw map[string]json.RawMessage
	json.Unmarshal(raw, &gotRaw)
	json.Unmarshal(s.raw, &postedRaw)
	for k, v := range gotRaw {
		if k == "granular_markings" || out.Touched[k] {
			continue
		}
		if !bytes.Equal(v, postedRaw[k]) {
			ck.fail("%s: redacted copy of %s changed the bytes of untouched property %s:\n got %s\nwant %s", where, s.key(), k, v, postedRaw[k])
		}
	}
}
