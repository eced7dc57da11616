package tracing

import (
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// StartRequest starts the server span of an incoming request, as a child
// of the caller's span when the request carries a W3C traceparent, and
// returns the request with the span in its context. While tracing is off
// it returns r itself and a span that does nothing. The span is named
// for the method until EndRequest names it for the route.
func StartRequest(r *http.Request, requestID string) (*http.Request, trace.Span) {
	t := state.Load()
	if t == nil {
		return r, noSpan
	}
	ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := t.t.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("http.request.method", r.Method),
		attribute.String("url.path", r.URL.Path),
		attribute.String("tearline.request_id", requestID),
	))
	return r.WithContext(ctx), span
}

// EndRequest names the span of a request for its method and route (the
// mux pattern, never the raw path; "" when none matched), records the
// status (0: the handler aborted) and ends it. A 5xx or an aborted
// response marks the span failed.
func EndRequest(span trace.Span, method, route string, status int) {
	if !span.IsRecording() {
		return
	}
	if route != "" {
		span.SetName(method + " " + route)
		span.SetAttributes(attribute.String("http.route", route))
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status == 0 || status >= 500 {
		span.SetStatus(codes.Error, "HTTP "+strconv.Itoa(status))
	}
	span.End()
}

// Transport wraps an outbound transport (nil: http.DefaultTransport):
// while tracing is on, each request gets a client span, child of the
// span in its context, and a traceparent header that carries it to the
// receiver. While off, requests pass through untouched.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base}
}

type transport struct{ base http.RoundTripper }

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tr := state.Load()
	if tr == nil {
		return t.base.RoundTrip(req)
	}
	ctx, span := tr.t.Start(req.Context(), req.Method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("http.request.method", req.Method),
		attribute.String("server.address", req.URL.Hostname()),
		attribute.String("url.path", req.URL.Path),
	))
	defer span.End()
	// A RoundTripper must not change the caller's request.
	req = req.Clone(ctx)
	tr.prop.Inject(ctx, propagation.HeaderCarrier(req.Header))
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		Fail(span, err)
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 400 {
		span.SetStatus(codes.Error, "HTTP "+strconv.Itoa(resp.StatusCode))
	}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the wrapped
// transport, for http.Client.CloseIdleConnections.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
