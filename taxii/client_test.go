package taxii

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// pyClient makes the requests the OASIS Python client, taxii2client.v21
// (oasis-open/cti-taxii-client), makes, and checks each response the way
// it does, so that the client works unmodified against this server:
//
//   - every GET sends Accept "application/taxii+json;version=2.1" and
//     "User-Agent: taxii2-client/2.3.0"; credentials go as HTTP Basic;
//   - a response must be 2xx (raise_for_status), and for GETs its
//     Content-Type, split on ';' with spaces removed, must start with
//     application/taxii+json and contain every token of the Accept value;
//   - URLs of API roots are resolved against the discovery URL (urljoin),
//     collection URLs are the collections URL plus the collection id and a
//     slash, and must contain the id;
//   - the status of a POST is fetched from urljoin(collection URL,
//     "../../status/" + id), without a trailing slash;
//   - as_pages asks for limit=N, and while "more" is true asks again with
//     the "next" of the last page (and the page size the server gave);
//   - match filters go as match[field]=comma,separated values.
type pyClient struct {
	t          *testing.T
	client     *http.Client
	user, pass string
}

const pyAccept = "application/taxii+json;version=2.1"

func (c *pyClient) do(method, rawURL string, params url.Values, body []byte, headers map[string]string) *http.Response {
	c.t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		c.t.Fatal(err)
	}
	if params != nil {
		u.RawQuery = params.Encode()
	}
	var r io.Reader
	if body != nil {
		r = strings.NewReader(string(body))
	}
	hr, err := http.NewRequest(method, u.String(), r)
	if err != nil {
		c.t.Fatal(err)
	}
	hr.Header.Set("User-Agent", "taxii2-client/2.3.0")
	hr.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.pass)))
	for k, v := range headers {
		hr.Header.Set(k, v)
	}
	resp, err := c.client.Do(hr)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

// raiseForStatus fails on a non-2xx status, as requests does.
func (c *pyClient) raiseForStatus(resp *http.Response) []byte {
	c.t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode >= 400 {
		c.t.Fatalf("%s %s: HTTP %d: %s", resp.Request.Method, resp.Request.URL, resp.StatusCode, b)
	}
	return b
}

// validContentType is taxii2client's _HTTPConnection.valid_content_type
// for version 2.1.
func validContentType(contentType, accept string) bool {
	acceptTokens := strings.Split(strings.ReplaceAll(accept, " ", ""), ";")
	ctTokens := strings.Split(strings.ReplaceAll(contentType, " ", ""), ";")
	for _, a := range acceptTokens {
		found := false
		for _, c := range ctTokens {
			found = found || a == c
		}
		if !found {
			return false
		}
	}
	return ctTokens[0] == "application/taxii+json"
}

func (c *pyClient) get(rawURL string, params url.Values) map[string]any {
	c.t.Helper()
	resp := c.do("GET", rawURL, params, nil, map[string]string{"Accept": pyAccept})
	b := c.raiseForStatus(resp)
	if ct := resp.Header.Get("Content-Type"); !validContentType(ct, pyAccept) {
		c.t.Fatalf("GET %s: Content-Type %q fails taxii2-client's check for Accept %q", rawURL, ct, pyAccept)
	}
	return c.json(b)
}

func (c *pyClient) post(rawURL string, body []byte) map[string]any {
	c.t.Helper()
	resp := c.do("POST", rawURL, nil, body, map[string]string{"Accept": pyAccept, "Content-Type": pyAccept})
	return c.json(c.raiseForStatus(resp))
}

func (c *pyClient) delete(rawURL string, params url.Values) {
	c.t.Helper()
	c.raiseForStatus(c.do("DELETE", rawURL, params, nil, map[string]string{"Accept": pyAccept}))
}

func (c *pyClient) json(b []byte) map[string]any {
	c.t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		c.t.Fatalf("InvalidJSONError: %s: %v", b, err)
	}
	return v
}

// urljoin is Python's urllib.parse.urljoin.
func urljoin(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	r, err := url.Parse(ref)
	if err != nil {
		panic(err)
	}
	return b.ResolveReference(r).String()
}

// validateStatus is taxii2client's Status._validate_status. It compares a
// detail list with its count only when the list is not empty, so pending
// statuses may leave out "pendings".
func validateStatus(t *testing.T, st map[string]any) {
	t.Helper()
	for _, k := range []string{"id", "status", "total_count", "success_count", "failure_count", "pending_count"} {
		if st[k] == nil {
			t.Fatalf("No %q in Status: %v", k, st)
		}
	}
	n := func(k string) int { return int(st[k].(float64)) }
	for list, count := range map[string]string{"successes": "success_count", "failures": "failure_count", "pendings": "pending_count"} {
		if l, ok := st[list].([]any); ok && len(l) > 0 && len(l) != n(count) {
			t.Fatalf("%s has %d entries, %s is %d", list, len(l), count, n(count))
		}
	}
	if n("success_count")+n("pending_count")+n("failure_count") != n("total_count") {
		t.Fatalf("counts do not add up: %v", st)
	}
}

// asPages is taxii2client.v21.as_pages.
func (c *pyClient) asPages(rawURL string, perRequest int, params url.Values) []map[string]any {
	c.t.Helper()
	q := url.Values{}
	for k, v := range params {
		q[k] = v
	}
	if perRequest > 0 {
		q.Set("limit", itoa(perRequest))
	}
	env := c.get(rawURL, q)
	pages := []map[string]any{env}
	objects := func(env map[string]any) int {
		l, _ := env["objects"].([]any)
		return len(l)
	}
	if more, _ := env["more"].(bool); more && objects(env) != perRequest {
		perRequest = objects(env)
	}
	for more, _ := env["more"].(bool); more; more, _ = env["more"].(bool) {
		q := url.Values{}
		for k, v := range params {
			q[k] = v
		}
		if perRequest > 0 {
			q.Set("limit", itoa(perRequest))
		}
		next, _ := env["next"].(string)
		q.Set("next", next)
		env = c.get(rawURL, q)
		pages = append(pages, env)
		if len(pages) > 1000 {
			c.t.Fatal("as_pages does not end")
		}
	}
	return pages
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestTAXII2ClientFlow(t *testing.T) {
	e := newEnv(t, nil, false)
	contributor := &pyClient{t: t, client: e.ts.Client(), user: "contributor", pass: e.tokens["contributor"]}
	analyst := &pyClient{t: t, client: e.ts.Client(), user: "analyst", pass: e.tokens["analyst"]}

	// Server(url).api_roots, default; the client adds the trailing slash.
	serverURL := e.ts.URL + "/taxii2/"
	disc := contributor.get(serverURL, nil)
	if disc["title"] == nil {
		t.Fatal("No 'title' in Server Discovery")
	}
	var rootURLs []string
	for _, r := range disc["api_roots"].([]any) {
		rootURLs = append(rootURLs, urljoin(serverURL, r.(string)))
	}
	if urljoin(serverURL, disc["default"].(string)) != rootURLs[0] {
		t.Errorf("default %v is not in api_roots %v", disc["default"], rootURLs)
	}

	// ApiRoot.refresh_information and refresh_collections.
	rootURL := rootURLs[0]
	info := contributor.get(rootURL, nil)
	if info["title"] == nil || len(info["versions"].([]any)) == 0 || info["max_content_length"] == nil {
		t.Fatalf("API root fails validation: %v", info)
	}
	cols := contributor.get(rootURL+"collections/", nil)
	var collectionURL string
	for _, item := range cols["collections"].([]any) {
		c := item.(map[string]any)
		u := rootURL + "collections/" + c["id"].(string) + "/"
		if c["title"] == nil || c["can_read"] == nil || c["can_write"] == nil || !strings.Contains(u, c["id"].(string)) {
			t.Fatalf("collection fails validation: %v", c)
		}
		if c["alias"] == "intel" {
			collectionURL = u
		}
	}
	if collectionURL == "" {
		t.Fatal("intel not listed")
	}
	c := contributor.get(collectionURL, nil)
	if c["can_write"] != true {
		t.Fatalf("collection %v", c)
	}
	objectsURL := collectionURL + "objects/"

	// add_objects: a small envelope completes at once.
	envelopeDict := map[string]any{"objects": []json.RawMessage{json.RawMessage(indicator(1, 0)), json.RawMessage(malware(1))}}
	body, _ := json.Marshal(envelopeDict)
	st := contributor.post(objectsURL, body)
	validateStatus(t, st)
	if st["status"] != "complete" {
		t.Fatalf("status %v", st)
	}
	statusURL := urljoin(collectionURL, "../../status/"+st["id"].(string))
	if strings.HasSuffix(statusURL, "/") {
		t.Fatalf("status URL %s", statusURL)
	}
	validateStatus(t, contributor.get(statusURL, nil))

	// A large one is pending; wait_until_final refreshes the status.
	saves := e.saves()
	body, _ = json.Marshal(map[string]any{"objects": rawObjects(indicators(10, 150, 0))})
	st = contributor.post(objectsURL, body)
	validateStatus(t, st)
	if st["status"] != "pending" {
		t.Fatalf("status %v", st)
	}
	completion(t, saves)
	final := contributor.get(urljoin(collectionURL, "../../status/"+st["id"].(string)), nil)
	validateStatus(t, final)
	if final["status"] != "complete" || final["success_count"].(float64) != 150 {
		t.Fatalf("final status %v", final)
	}

	// as_pages(get_objects, per_request=40) sees every object once.
	reader := &pyClient{t: t, client: e.ts.Client(), user: "reader", pass: e.tokens["reader"]}
	seen := map[string]bool{}
	for _, page := range reader.asPages(objectsURL, 40, nil) {
		for _, o := range page["objects"].([]any) {
			id := o.(map[string]any)["id"].(string)
			if seen[id] {
				t.Errorf("%s seen twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != 152 {
		t.Errorf("as_pages saw %d objects, want 152", len(seen))
	}
	// With filters, as the client encodes them.
	pages := reader.asPages(objectsURL, 0, url.Values{"match[type]": {"malware,indicator"}, "added_after": {"2016-01-01T00:00:00.5Z"}})
	if len(pages) != 4 || !pages[0]["more"].(bool) { // default page size 50
		t.Errorf("%d pages", len(pages))
	}
	manifest := reader.asPages(collectionURL+"manifest/", 100, url.Values{"match[version]": {"last"}})
	if len(manifest) != 2 {
		t.Errorf("%d manifest pages", len(manifest))
	}
	for _, rec := range manifest[0]["objects"].([]any) {
		m := rec.(map[string]any)
		if m["media_type"] != mediaSTIX || m["version"] == nil || m["date_added"] == nil {
			t.Fatalf("manifest record %v", m)
		}
	}

	// get_object, object_versions, delete_object.
	id := objID("indicator", 1)
	obj := reader.get(objectsURL+id+"/", url.Values{"match[version]": {"all"}})
	if len(obj["objects"].([]any)) != 1 {
		t.Errorf("get_object %v", obj)
	}
	versions := reader.get(objectsURL+id+"/versions/", nil)
	if len(versions["versions"].([]any)) != 1 {
		t.Errorf("object_versions %v", versions)
	}
	analyst.delete(objectsURL+id+"/", url.Values{"match[version]": {"all"}})
	resp := reader.do("GET", objectsURL+id+"/", nil, nil, map[string]string{"Accept": pyAccept})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted object: %d", resp.StatusCode)
	}

	// taxii2client.v20 against this server gets 406, which the client
	// explains as a version mismatch.
	resp = reader.do("GET", serverURL, nil, nil, map[string]string{"Accept": "application/vnd.oasis.taxii+json; version=2.0"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotAcceptable {
		t.Errorf("TAXII 2.0 client: %d", resp.StatusCode)
	}
}

func rawObjects(objs []string) []json.RawMessage {
	var out []json.RawMessage
	for _, o := range objs {
		out = append(out, json.RawMessage(o))
	}
	return out
}
