package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii/client"
	"github.com/tearline/tearline/taxii/taxiitest"
)

// foreign is a small TAXII 2.1 server of another make, on 127.0.0.1: one
// collection "c1" serving its objects pageSize at a time (with next and
// the X-TAXII-Date-Added headers), and taking POSTs, whose objects it
// keeps in received.
type foreign struct {
	pageSize int
	mu       sync.Mutex
	objects  [][]byte
	received [][]byte
	srv      *httptest.Server
}

var foreignEpoch = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

func newForeign(t *testing.T, pageSize int, objects ...[]byte) *foreign {
	f := &foreign{pageSize: pageSize, objects: objects}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *foreign) root() string { return f.srv.URL + "/foreign/" }

func (f *foreign) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/taxii+json;version=2.1")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/foreign/":
		fmt.Fprint(w, `{"title":"foreign","versions":["application/taxii+json;version=2.1"],"max_content_length":1000000}`)
	case r.URL.Path == "/foreign/collections/c1/objects/" && r.Method == http.MethodPost:
		var env struct{ Objects []json.RawMessage }
		if err := json.NewDecoder(r.Body).Decode(&env); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, o := range env.Objects {
			f.received = append(f.received, o)
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"id":"0b5c4a2e-1f2a-4d3b-8c6e-9f0a1b2c3d4e","status":"complete","total_count":%d,"success_count":%d}`, len(env.Objects), len(env.Objects))
	case r.URL.Path == "/foreign/collections/c1/objects/":
		start := 0
		if aa := r.URL.Query().Get("added_after"); aa != "" {
			t, _ := time.Parse(time.RFC3339Nano, aa)
			start = int(t.Sub(foreignEpoch)/time.Second) + 1
		}
		if n := r.URL.Query().Get("next"); n != "" {
			start, _ = strconv.Atoi(n)
		}
		end := min(start+f.pageSize, len(f.objects))
		start = min(start, end)
		more := end < len(f.objects)
		if end > start {
			w.Header().Set("X-TAXII-Date-Added-First", foreignEpoch.Add(time.Duration(start)*time.Second).Format(time.RFC3339Nano))
			w.Header().Set("X-TAXII-Date-Added-Last", foreignEpoch.Add(time.Duration(end-1)*time.Second).Format(time.RFC3339Nano))
		}
		page := []json.RawMessage{}
		for _, o := range f.objects[start:end] {
			page = append(page, o)
		}
		body := map[string]any{"more": more, "objects": page}
		if more {
			body["next"] = strconv.Itoa(end)
		}
		json.NewEncoder(w).Encode(body)
	default:
		http.NotFound(w, r)
	}
}

// foreignDef is a marking definition of a scheme Tearline cannot
// interpret: a national marking carried in an extension of its own.
func foreignDef(id, name string) []byte {
	return fmt.Appendf(nil, `{"type":"marking-definition","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00.000Z","name":%q,`+
		`"extensions":{"extension-definition--1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081":{"extension_type":"property-extension","niveau":%q}}}`, id, name, name)
}

// TestCrosswalkAndHeld pulls from a foreign TAXII server whose objects
// carry its national markings. Without a crosswalk they are held for
// review, never stored as unmarked; once the crosswalk maps the national
// marking to a local one, releasing them stores them with the local
// marking (and every other byte as sent), while an object with a marking
// still unknown stays held until dropped. On the way out, the crosswalk
// maps the local marking back. Objects whose (interpretable) marking
// definition comes after them in the collection are stored once it has.
func TestCrosswalkAndHeld(t *testing.T) {
	t.Parallel()
	cert := newNode(t, "cert", "FR")
	mdDR, mdOther := markingID("DIFFUSION RESTREINTE"), markingID("NON PROTEGE")
	mdRelFR, mdLate := markingID("REL TO FRA"), markingID("late statement")
	late := fmt.Appendf(nil, `{"type":"marking-definition","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright CERT-FR"}}`, mdLate)
	objs := [][]byte{
		foreignDef(mdDR, "DIFFUSION RESTREINTE"),
		taxiitest.Indicator(1, 0, marked(mdDR)),
		taxiitest.Indicator(2, 0, marked(mdOther)),
		taxiitest.Indicator(3, 0, marked(marking.TLP2Green)),
		taxiitest.Indicator(4, 0, marked(marking.TLP2Green, mdLate)),
		taxiitest.Indicator(5, 0, marked(marking.TLP2Green)),
		late,
	}
	fr := newForeign(t, 3, objs...)
	intel := cert.collection("intel")
	cert.submit(intel, tearlineDef(t, mdRelFR, map[string]any{"rel_to": []string{"FRA"}}))
	o := &tearline.Organization{Name: "foreign", Country: "FR"}
	ctx := context.Background()
	if err := cert.srv.DB.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	p := &tearline.Peer{Name: "foreign", OrgID: o.ID, URL: fr.root()}
	if err := cert.srv.DB.CreatePeer(ctx, p); err != nil {
		t.Fatal(err)
	}
	l := cert.link(p, tearline.LinkPull, intel, "c1", false)
	st := cert.run(l)
	// 3 and 5 stored; the statement definition too, and then 4, held
	// until its definition arrived; the national definition, 1 and 2 held.
	if diff := sortedStrings(cert.ids(intel)); strings.Join(diff, " ") != strings.Join(sorted(3, 4, 5), " ") {
		t.Errorf("stored %v, want 3, 4, 5", diff)
	}
	held, err := cert.srv.DB.ListHeld(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	heldIDs := map[string]string{}
	for _, h := range held {
		heldIDs[h.ObjectID] = h.Reason
	}
	if len(held) != 3 || heldIDs[mdDR] == "" || !strings.Contains(heldIDs[id(1)], mdDR) || !strings.Contains(heldIDs[id(2)], mdOther) {
		t.Fatalf("held: %v (state %+v)", heldIDs, st)
	}

	// Map the national marking to the local REL TO FRA.
	p.Crosswalk = []tearline.MarkingMap{{Remote: mdDR, Local: mdRelFR}}
	if err := cert.srv.DB.UpdatePeer(ctx, p); err != nil {
		t.Fatal(err)
	}
	stored, remaining, err := cert.srv.TAXII.Inbound().ReleaseAll(ctx, p.ID)
	if err != nil || stored != 2 || remaining != 1 {
		t.Fatalf("release all: %d stored, %d remaining, %v", stored, remaining, err)
	}
	got := cert.stored(intel)[id(1)]
	var want bytes.Buffer // as the foreign server sends it: compact
	json.Compact(&want, bytes.Replace(taxiitest.Indicator(1, 0, marked(mdDR)), []byte(mdDR), []byte(mdRelFR), 1))
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("object 1 stored as\n%s\nwant\n%s", got, want.Bytes())
	}
	if _, ok := cert.stored(intel)[mdDR]; ok {
		t.Error("the national marking definition was stored although the crosswalk replaces it")
	}
	held, _ = cert.srv.DB.ListHeld(ctx, p.ID)
	if len(held) != 1 || held[0].ObjectID != id(2) {
		t.Fatalf("still held: %+v", held)
	}
	if _, err := cert.srv.TAXII.Inbound().Release(ctx, held[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := cert.srv.DB.DeleteHeld(ctx, held[0].ID); err != nil {
		t.Fatal(err)
	}

	// On the way out, the local marking becomes the peer's again, and the
	// local definition the crosswalk maps is not sent.
	outbox := cert.collection("outbox")
	cert.submit(outbox, tearlineDef(t, mdRelFR, map[string]any{"rel_to": []string{"FRA"}}), taxiitest.Indicator(9, 0, marked(marking.TLP2Green, mdRelFR)))
	if st := cert.run(cert.link(p, tearline.LinkPush, outbox, "c1", false)); st.Objects != 1 {
		t.Fatalf("push to the foreign server: %+v", st)
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if len(fr.received) != 1 || !bytes.Equal(fr.received[0], taxiitest.Indicator(9, 0, marked(marking.TLP2Green, mdDR))) {
		t.Errorf("the foreign server received %q", fr.received)
	}
}

// TestOneWay: a low-side server feeds a high-side one, which never sends
// anything back but approved tear-line products on a products-only link:
// its TAXII reads refuse the low side, a push link to it that is not
// limited to products fails, and a products-only link sends the derived
// object and its derived-from relationship, not the source nor anything
// else.
func TestOneWay(t *testing.T) {
	t.Parallel()
	low, high := newNode(t, "low", "US"), newNode(t, "high", "US")
	feed, outbox := low.collection("feed"), low.collection("outbox")
	fromHigh := low.collection("from-high")
	low.submit(feed, taxiitest.Indicators(0, 10, 0, marked(marking.TLP2Green))...)
	low.submit(outbox, taxiitest.Indicators(50, 5, 0, marked(marking.TLP2Green))...)
	intel, inbox := high.collection("intel"), high.collection("inbox")
	// high sees low as the low side of a one-way link.
	pr := connect(high, low, profile{country: "US", ceiling: "green", oneWay: true}, profile{country: "US", ceiling: "amber"})

	if st := high.run(pr.pullAB(intel, feed)); st.Objects != 10 {
		t.Fatalf("high pulls low: %+v", st)
	}
	if st := low.run(pr.reverse().pushAB(outbox, inbox, false)); st.Objects != 5 {
		t.Fatalf("low pushes to high: %+v", st)
	}
	if got := len(high.ids(inbox)); got != 5 {
		t.Fatalf("high's inbox holds %d objects", got)
	}

	// The low side reads nothing from the high side.
	high.srv.Grant(intel, pr.orgA, true, false)
	_, err := low.peerClient(pr.onB).Objects(context.Background(), high.srv.Root, intel.ID, client.Filter{})
	if client.StatusOf(err) != http.StatusForbidden || !strings.Contains(err.Error(), "one-way") {
		t.Fatalf("the low side reading the high side: %v", err)
	}

	// A push link to the low side must be limited to products.
	all := high.link(pr.onA, tearline.LinkPush, intel, fromHigh.ID, false)
	low.srv.Grant(fromHigh, pr.orgB, false, true)
	if _, err := high.syncer.Run(context.Background(), all.ID); err == nil || !strings.Contains(err.Error(), "tear-line products") {
		t.Fatalf("an unrestricted push to the low side: %v", err)
	}

	// An analyst derives a GREEN product from an AMBER+STRICT source; a
	// second analyst approves it.
	source := taxiitest.Indicator(900, 0, marked(marking.TLP2AmberStrict))
	other := taxiitest.Indicator(901, 0, marked(marking.TLP2Green))
	high.submit(intel, source, other)
	derived := taxiitest.Indicator(902, 0, marked(marking.TLP2Green))
	prod := high.admin(high.analyst[0], "POST", "/api/v1/products/", fmt.Sprintf(`{"source_id":%q,"collection":%q,"object":%s}`, id(900), intel.ID, derived))
	var pj struct{ ID string }
	if err := json.Unmarshal(prod, &pj); err != nil || pj.ID == "" {
		t.Fatalf("product: %s", prod)
	}
	high.admin(high.analyst[1], "POST", "/api/v1/products/"+pj.ID+"/approve/", "")

	products := high.link(pr.onA, tearline.LinkPush, intel, fromHigh.ID, true)
	st := high.run(products)
	var got []string
	for _, e := range low.srv.Stored(fromHigh) {
		switch {
		case e.ID == id(902):
			got = append(got, "product")
		case strings.HasPrefix(e.ID, "relationship--") && bytes.Contains(e.Raw, []byte(`"derived-from"`)):
			got = append(got, "derived-from")
		default:
			got = append(got, e.ID)
		}
	}
	if st.Objects != 2 || strings.Join(got, " ") != "product derived-from" {
		t.Fatalf("products-only push: state %+v, low received %v", st, got)
	}
}

// admin sends an admin or analyst API request with token and returns the
// body of a 2xx answer.
func (n *node) admin(token, method, path, body string) []byte {
	n.t.Helper()
	req, err := http.NewRequest(method, n.srv.URL+path, strings.NewReader(body))
	if err != nil {
		n.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode/100 != 2 {
		n.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b.Bytes())
	}
	return b.Bytes()
}
