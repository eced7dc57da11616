package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/tearline/tearline/tracing"
	"github.com/tearline/tearline/tracing/otlptest"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tracedPost serves data with cfg, logging to logs, sends one TAXII POST
// of two indicators (one with an e-mail address, which the collection's
// policy redacts) carrying traceparent and X-Request-Id, and a GET, then
// stops the server. It returns the POST's answer.
func tracedPost(t *testing.T, cfg serveConfig, logs *syncBuffer, token, colID, traceparent string) (int, []byte) {
	t.Helper()
	srv, err := startServer(context.Background(), cfg, logs)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	var objs []json.RawMessage
	for i, desc := range []string{"beacon", "mail jane.doe@example.org for samples"} {
		objs = append(objs, json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--0b7a3f4e-1d1c-4d8e-9b7a-6c9d2e1f3a0%d","created":"2026-01-02T03:04:05.000Z","modified":"2026-01-02T03:04:05.000Z","name":"c2","description":%q,"pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-01-02T03:04:05Z"}`, i, desc, i+1)))
	}
	envelope, _ := json.Marshal(map[string]any{"objects": objs})
	objects := srv.URL() + "/taxii2/default/collections/" + colID + "/objects/"
	req, _ := http.NewRequest("POST", objects, bytes.NewReader(envelope))
	req.Header.Set("Accept", taxiiType)
	req.Header.Set("Content-Type", taxiiType)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-Id", "trace-test-1")
	req.Header.Set("Traceparent", traceparent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if code, got := do(t, http.DefaultClient, "GET", objects, token, nil); code != 200 || !strings.Contains(string(got), "198.51.100.1") {
		t.Errorf("GET objects: %d %s", code, got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
	return resp.StatusCode, body.Bytes()
}

// tracingEnv sets up a data directory with an organization, its key and a
// collection that redacts personal data, with the standard OTEL_*
// endpoint variables cleared.
func tracingEnv(t *testing.T) (cfg serveConfig, token, colID string) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "TEARLINE_OTEL_ENDPOINT"} {
		t.Setenv(k, "")
	}
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme")
	token = cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "contributor")
	colID = cli(t, "collection", "add", "--data", data, "--title", "Traced", "--write", "acme", "--pii", "redact")
	cfg = defaultServeConfig()
	cfg.Data, cfg.Listen, cfg.Federation = data, "127.0.0.1:0", false
	return cfg, token, colID
}

// TestTracingSpans serves with --otel-endpoint pointing at an OTLP/HTTP
// receiver on 127.0.0.1 and checks the spans of a TAXII POST: names,
// attributes, and the parent of each, from the caller's traceparent down
// to the store call; and that the request's log lines carry the trace id.
// Not parallel: tracing is per process.
func TestTracingSpans(t *testing.T) {
	cfg, token, colID := tracingEnv(t)
	rc := otlptest.New(t)
	cfg.OTelEndpoint = rc.URL
	var logs syncBuffer
	const caller, callerSpan = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	code, body := tracedPost(t, cfg, &logs, token, colID, "00-"+caller+"-"+callerSpan+"-01")
	if code != http.StatusAccepted || !strings.Contains(string(body), `"success_count":2`) {
		t.Fatalf("POST: %d %s", code, body)
	}
	if tracing.On() {
		t.Error("tracing still on after the server closed")
	}
	spans := rc.Spans()
	byID := map[string]otlptest.Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
	}
	one := func(name string) otlptest.Span {
		t.Helper()
		var found []otlptest.Span
		for _, s := range otlptest.Find(spans, name) {
			if s.TraceID == caller {
				found = append(found, s)
			}
		}
		if len(found) != 1 {
			var names []string
			for _, s := range spans {
				names = append(names, s.Name+"("+s.TraceID[:4]+")")
			}
			t.Fatalf("%d spans named %q in the caller's trace; received %v", len(found), name, names)
		}
		return found[0]
	}
	const route = "/taxii2/{root}/collections/{collection}/objects/"
	post := one("POST " + route)
	if post.Parent != callerSpan || post.Kind != tracepb.Span_SPAN_KIND_SERVER || post.Service != "tearline" {
		t.Errorf("request span: %+v", post)
	}
	for k, want := range map[string]string{"http.route": route, "http.request.method": "POST",
		"http.response.status_code": "202", "tearline.request_id": "trace-test-1"} {
		if post.Attrs[k] != want {
			t.Errorf("request span attribute %s = %q, want %q", k, post.Attrs[k], want)
		}
	}
	ingest := one("ingest")
	if ingest.Parent != post.SpanID || ingest.Attrs["tearline.added"] != "2" || ingest.Attrs["tearline.objects"] != "2" {
		t.Errorf("ingest span: %+v (request span %s)", ingest, post.SpanID)
	}
	for _, name := range []string{"ingest.validate", "ingest.markings", "ingest.pii", "ingest.store", "ingest.observables", "ingest.score"} {
		s := one(name)
		if s.Parent != ingest.SpanID || s.End < s.Start || s.Failed {
			t.Errorf("%s: %+v, want a child of ingest %s", name, s, ingest.SpanID)
		}
	}
	if v := one("ingest.validate"); v.Attrs["tearline.objects"] != "2" {
		t.Errorf("validate span: %+v", v)
	}
	add := one("store.WriteBatch")
	if add.Parent != one("ingest.store").SpanID || add.Attrs["db.system.name"] != "sqlite" || add.Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("store span: %+v", add)
	}
	// The GET is a trace of its own, with its store call.
	var get otlptest.Span
	for _, s := range otlptest.Find(spans, "GET "+route) {
		get = s
	}
	if get.SpanID == "" || get.Parent != "" || get.Attrs["http.response.status_code"] != "200" {
		t.Fatalf("GET span: %+v", get)
	}
	found := false
	for _, s := range otlptest.Find(spans, "store.QueryObjects") {
		found = found || s.Parent == get.SpanID && s.TraceID == get.TraceID
	}
	if !found {
		t.Error("no store.QueryObjects span under the GET")
	}
	// The access line of the POST leads to the trace.
	var access bool
	for _, line := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "request" || rec["request_id"] != "trace-test-1" {
			continue
		}
		access = true
		if rec["trace_id"] != caller || rec["span_id"] != post.SpanID {
			t.Errorf("access log line without the trace: %s", line)
		}
	}
	if !access {
		t.Errorf("no access log line of the POST in\n%s", logs.String())
	}
}

// TestTracingOff serves the same requests without an endpoint while a
// receiver listens: nothing is exported, and log lines carry no trace id.
func TestTracingOff(t *testing.T) {
	cfg, token, colID := tracingEnv(t)
	rc := otlptest.New(t)
	var logs syncBuffer
	code, body := tracedPost(t, cfg, &logs, token, colID, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	if code != http.StatusAccepted || !strings.Contains(string(body), `"success_count":2`) {
		t.Fatalf("POST: %d %s", code, body)
	}
	if n := rc.Requests(); n != 0 {
		t.Errorf("%d export requests with tracing off", n)
	}
	if strings.Contains(logs.String(), "trace_id") {
		t.Errorf("trace ids logged with tracing off:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"request_id":"trace-test-1"`) {
		t.Errorf("no request id in the logs:\n%s", logs.String())
	}
}

func TestOTelEndpointSetting(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"localhost:4318", "grpc://x:4317", "http://x:4318/?k=v"} {
		cfg := defaultServeConfig()
		cfg.OTelEndpoint = v
		if err := cfg.checkValues(); err == nil || !strings.Contains(err.Error(), "otel_endpoint") {
			t.Errorf("otel_endpoint %q: %v", v, err)
		}
	}
	cfg := defaultServeConfig()
	if err := cfg.decodeTOML([]byte(`otel_endpoint = "https://collector.example:4318"`)); err != nil || cfg.checkValues() != nil || cfg.OTelEndpoint != "https://collector.example:4318" {
		t.Errorf("TOML otel_endpoint: %v, %q", err, cfg.OTelEndpoint)
	}
}
