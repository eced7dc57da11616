// Package otlptest is an OTLP/HTTP trace receiver for tests: an HTTP
// server on 127.0.0.1 that decodes the protobuf export requests posted to
// /v1/traces and keeps their spans.
package otlptest

import (
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Span is one received span, with its ids in hex and its attributes as
// strings (numbers in decimal).
type Span struct {
	Name                    string
	TraceID, SpanID, Parent string // Parent is "" for a root span
	Kind                    tracepb.Span_SpanKind
	Attrs                   map[string]string
	Failed                  bool // status code error
	Start, End              uint64
	Service                 string // service.name of the resource
}

// Receiver is a running OTLP/HTTP receiver.
type Receiver struct {
	// URL is the base URL to give an exporter (spans go to URL/v1/traces).
	URL string

	mu       sync.Mutex
	spans    []Span
	requests int
	arrived  chan struct{} // gets a value after each export request
	srv      *httptest.Server
}

// New starts a receiver on 127.0.0.1, closed when the test ends. A
// request that does not decode fails the test and gets a 400.
func New(t testing.TB) *Receiver {
	rc := &Receiver{arrived: make(chan struct{}, 1)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
			t.Errorf("otlptest: %s %s, want POST /v1/traces", r.Method, r.URL.Path)
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("otlptest: gzip: %v", err)
				http.Error(w, "bad gzip", http.StatusBadRequest)
				return
			}
			body = zr
		}
		data, err := io.ReadAll(body)
		var req coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(data, &req)
		}
		if err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("otlptest: export request (Content-Type %q): %v", r.Header.Get("Content-Type"), err)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		rc.add(&req)
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	rc.URL = rc.srv.URL
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *Receiver) add(req *coltracepb.ExportTraceServiceRequest) {
	var spans []Span
	for _, rs := range req.GetResourceSpans() {
		service := attrs(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				spans = append(spans, Span{
					Name:    s.GetName(),
					TraceID: hex.EncodeToString(s.GetTraceId()),
					SpanID:  hex.EncodeToString(s.GetSpanId()),
					Parent:  hex.EncodeToString(s.GetParentSpanId()),
					Kind:    s.GetKind(),
					Attrs:   attrs(s.GetAttributes()),
					Failed:  s.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR,
					Start:   s.GetStartTimeUnixNano(),
					End:     s.GetEndTimeUnixNano(),
					Service: service,
				})
			}
		}
	}
	rc.mu.Lock()
	rc.spans = append(rc.spans, spans...)
	rc.requests++
	rc.mu.Unlock()
	select {
	case rc.arrived <- struct{}{}:
	default:
	}
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch v.GetValue().(type) {
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = strconv.FormatInt(v.GetIntValue(), 10)
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = strconv.FormatBool(v.GetBoolValue())
		default:
			m[kv.GetKey()] = v.GetStringValue()
		}
	}
	return m
}

// Spans returns the spans received so far.
func (rc *Receiver) Spans() []Span {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Span(nil), rc.spans...)
}

// Requests returns how many export requests arrived.
func (rc *Receiver) Requests() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests
}

// Arrived receives a value after export requests arrive.
func (rc *Receiver) Arrived() <-chan struct{} { return rc.arrived }

// Find returns the spans named name.
func Find(spans []Span, name string) []Span {
	var out []Span
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}
