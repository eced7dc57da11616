package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/tearline/tearline/tracing/otlptest"
)

// noEnv clears the standard variables that would turn tracing on.
func noEnv(t *testing.T) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER"} {
		t.Setenv(k, "")
	}
}

// setup turns tracing on towards a new receiver until the test ends.
func setup(t *testing.T) (*otlptest.Receiver, func()) {
	t.Helper()
	noEnv(t)
	rc := otlptest.New(t)
	stop, err := Setup(context.Background(), Config{Endpoint: rc.URL, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	flush := func() {
		if !stopped {
			stopped = true
			if err := stop(context.Background()); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}
	}
	t.Cleanup(flush)
	return rc, flush
}

func TestOffDoesNothing(t *testing.T) {
	noEnv(t)
	stop, err := Setup(context.Background(), Config{})
	if err != nil || On() {
		t.Fatalf("Setup without an endpoint: on %v, %v", On(), err)
	}
	defer stop(context.Background())
	req := httptest.NewRequest("POST", "/taxii2/default/collections/x/objects/", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	ctx := context.Background()
	for name, f := range map[string]func(){
		"Start": func() {
			c, span := Start(ctx, "x")
			if c != ctx || span.IsRecording() {
				t.Fatal("Start while off gave a new context or a recording span")
			}
			span.End()
		},
		"StartRequest": func() {
			r, span := StartRequest(req, "id")
			if r != req {
				t.Fatal("StartRequest while off gave a new request")
			}
			EndRequest(span, "POST", "/taxii2/{root}/", 202)
		},
		"StoreCall": func() {
			var err error
			_, end := StoreCall(ctx, "sqlite", "AddObjects")
			end.End(&err)
		},
		"Logger": func() { _ = Logger(ctx, nil) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s while off: %v allocations, want 0", name, n)
		}
	}
	// Outbound requests pass through untouched: no traceparent.
	got := make(chan string, 1)
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Get("Traceparent") }))
	defer peer.Close()
	resp, err := (&http.Client{Transport: Transport(nil)}).Get(peer.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := <-got; h != "" {
		t.Errorf("traceparent %q sent while tracing is off", h)
	}
}

func TestSetupRefuses(t *testing.T) {
	noEnv(t)
	for _, e := range []string{"127.0.0.1:4318", "ftp://x", "http://", "http://x/?a=b", "://"} {
		if _, err := Setup(context.Background(), Config{Endpoint: e}); err == nil || On() {
			t.Errorf("endpoint %q accepted", e)
		}
	}
	_, _ = setup(t)
	if _, err := Setup(context.Background(), Config{Endpoint: "http://127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("second Setup: %v", err)
	}
	t.Setenv("OTEL_SDK_DISABLED", "true")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	if Enabled(Config{}) {
		t.Error("enabled with OTEL_SDK_DISABLED=true")
	}
	t.Setenv("OTEL_SDK_DISABLED", "")
	if !Enabled(Config{}) {
		t.Error("not enabled by OTEL_EXPORTER_OTLP_ENDPOINT")
	}
}

// TestPropagation follows a trace through a server span, a child and an
// outbound request: the peer receives a traceparent naming the client
// span, and the receiver gets every span with its parent.
func TestPropagation(t *testing.T) {
	rc, flush := setup(t)
	got := make(chan string, 1)
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Traceparent")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer peer.Close()

	const caller = "4bf92f3577b34da6a3ce929d0e0e4736"
	in := httptest.NewRequest("POST", "/x", nil)
	in.Header.Set("Traceparent", "00-"+caller+"-00f067aa0ba902b7-01")
	in, server := StartRequest(in, "req-1")
	ctx, child := Start(in.Context(), "work")
	out, err := http.NewRequestWithContext(ctx, "POST", peer.URL+"/hook", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: Transport(nil)}).Do(out)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := out.Header.Get("Traceparent"); h != "" {
		t.Errorf("the caller's request was changed: traceparent %q", h)
	}
	child.End()
	EndRequest(server, "POST", "/x", 500)
	flush()

	spans := rc.Spans()
	one := func(name string) otlptest.Span {
		t.Helper()
		s := otlptest.Find(spans, name)
		if len(s) != 1 {
			t.Fatalf("%d spans named %q in %+v", len(s), name, spans)
		}
		return s[0]
	}
	srv, work, client := one("POST /x"), one("work"), one("POST")
	if srv.TraceID != caller || srv.Parent != "00f067aa0ba902b7" || srv.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("server span does not continue the caller's trace: %+v", srv)
	}
	if !srv.Failed || srv.Attrs["http.response.status_code"] != "500" || srv.Attrs["http.route"] != "/x" || srv.Attrs["tearline.request_id"] != "req-1" {
		t.Errorf("server span attributes: %+v", srv)
	}
	if work.Parent != srv.SpanID || client.Parent != work.SpanID || client.TraceID != caller {
		t.Errorf("parents: work %+v, client %+v", work, client)
	}
	if client.Kind != tracepb.Span_SPAN_KIND_CLIENT || client.Attrs["http.response.status_code"] != "204" || client.Attrs["server.address"] != "127.0.0.1" || client.Service != "tearline" {
		t.Errorf("client span: %+v", client)
	}
	if h, want := <-got, "00-"+caller+"-"+client.SpanID+"-01"; h != want {
		t.Errorf("peer got traceparent %q, want %q", h, want)
	}
}

// BenchmarkOff measures what instrumented code pays while tracing is off:
// a span, a request span and a store call span (0 allocations).
func BenchmarkOff(b *testing.B) {
	ctx := context.Background()
	req := httptest.NewRequest("GET", "/taxii2/", nil)
	var err error
	b.ReportAllocs()
	for b.Loop() {
		_, span := Start(ctx, "ingest")
		span.End()
		_, rs := StartRequest(req, "id")
		EndRequest(rs, "GET", "/taxii2/", 200)
		_, end := StoreCall(ctx, "sqlite", "QueryObjects")
		end.End(&err)
	}
}

// BenchmarkOn is BenchmarkOff with tracing on, exporting to a receiver
// on 127.0.0.1, for comparison.
func BenchmarkOn(b *testing.B) {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		b.Setenv(k, "")
	}
	rc := otlptest.New(b)
	stop, err := Setup(context.Background(), Config{Endpoint: rc.URL})
	if err != nil {
		b.Fatal(err)
	}
	defer stop(context.Background())
	ctx := context.Background()
	req := httptest.NewRequest("GET", "/taxii2/", nil)
	b.ReportAllocs()
	for b.Loop() {
		_, span := Start(ctx, "ingest")
		span.End()
		_, rs := StartRequest(req, "id")
		EndRequest(rs, "GET", "/taxii2/", 200)
		_, end := StoreCall(ctx, "sqlite", "QueryObjects")
		end.End(&err)
	}
}
