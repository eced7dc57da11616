package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/google/uuid"
)

// liveClient talks TAXII to a running server (in-process or a child
// process) as one API key, for the backup and crash tests.
type liveClient struct {
	base, token, col string
	hc               *http.Client
}

// objectsURL is the collection's objects endpoint.
func (c *liveClient) objectsURL() string {
	return c.base + "/taxii2/default/collections/" + c.col + "/objects/"
}

// liveIndicator returns a valid indicator with a fresh id; tag and n go
// into its name and pattern so that objects differ in size and content.
func liveIndicator(tag string, n int) (id string, raw []byte) {
	id = "indicator--" + uuid.NewString()
	raw = fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00.000Z",`+
		`"modified":"2025-01-01T00:00:00.000Z","name":"%s %d","pattern":"[ipv4-addr:value = '10.%d.%d.%d']",`+
		`"pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z","x_seq": %d}`,
		id, tag, n, n>>16&255, n>>8&255, n&255, n)
	return id, raw
}

// do sends one TAXII request and returns the status and body. Errors are
// transport errors (the server went away).
func (c *liveClient) do(ctx context.Context, method, u string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", taxiiType)
	if body != nil {
		req.Header.Set("Content-Type", taxiiType)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// post sends the objects in one envelope and returns the ids of those the
// status reports as successes (the acknowledged ones). A transport error
// or any answer but a complete 202 status is an error: nothing of the
// envelope counts as acknowledged.
func (c *liveClient) post(ctx context.Context, objs [][]byte) ([]string, error) {
	env := append([]byte(`{"objects":[`), bytes.Join(objs, []byte(","))...)
	env = append(env, "]}"...)
	code, body, err := c.do(ctx, "POST", c.objectsURL(), env)
	if err != nil {
		return nil, err
	}
	var st struct {
		Status       string `json:"status"`
		SuccessCount int    `json:"success_count"`
		Successes    []struct {
			ID string `json:"id"`
		} `json:"successes"`
	}
	if code != http.StatusAccepted || json.Unmarshal(body, &st) != nil || st.Status != "complete" {
		return nil, fmt.Errorf("POST: %d %s", code, body)
	}
	ids := make([]string, 0, len(st.Successes))
	for _, s := range st.Successes {
		ids = append(ids, s.ID)
	}
	return ids, nil
}

// livePage is one objects page.
type livePage struct {
	Objects []json.RawMessage `json:"objects"`
	More    bool              `json:"more"`
	Next    string            `json:"next"`
}

// page gets one page of the collection's objects after the next token
// (the first page for "").
func (c *liveClient) page(ctx context.Context, next string, limit int) (*livePage, error) {
	q := url.Values{"limit": {fmt.Sprint(limit)}}
	if next != "" {
		q.Set("next", next)
	}
	code, body, err := c.do(ctx, "GET", c.objectsURL()+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET objects: %d %s", code, body)
	}
	var p livePage
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("GET objects: %v: %s", err, body)
	}
	return &p, nil
}

// all returns every object of the collection, in the order served, by
// following next.
func (c *liveClient) all(ctx context.Context) ([]json.RawMessage, error) {
	var out []json.RawMessage
	next := ""
	for {
		p, err := c.page(ctx, next, 500)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Objects...)
		if !p.More {
			return out, nil
		}
		next = p.Next
	}
}

// idOf returns the id member of a STIX object.
func idOf(raw []byte) string {
	var o struct {
		ID string `json:"id"`
	}
	json.Unmarshal(raw, &o)
	return o.ID
}
