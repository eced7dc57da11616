// Package tracing is Tearline's optional OpenTelemetry tracing: spans of
// HTTP requests, ingest stages, store calls and outbound requests, exported
// with OTLP over HTTP. It is off unless Setup is given an endpoint (or the
// standard OTEL_EXPORTER_OTLP_ENDPOINT is set); while off, Start and the
// HTTP helpers cost a load of one pointer and allocate nothing.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Name is the instrumentation scope of Tearline's spans.
const Name = "github.com/tearline/tearline"

// state is the installed tracer; nil while tracing is off.
var state atomic.Pointer[tracer]

type tracer struct {
	t    trace.Tracer
	prop propagation.TextMapPropagator
}

// noSpan is the span Start returns while tracing is off: it records
// nothing and its methods do nothing.
var noSpan = trace.SpanFromContext(context.Background())

// Config says where spans go.
type Config struct {
	// Endpoint is the base URL of an OTLP/HTTP receiver, such as
	// http://127.0.0.1:4318; spans are posted to its /v1/traces. Empty:
	// the standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
	// OTEL_EXPORTER_OTLP_ENDPOINT variables, and without them tracing is
	// off.
	Endpoint string
	// Version is the service.version of the resource.
	Version string
	// Log receives export failures; nil discards them.
	Log *slog.Logger
}

// On reports whether spans are being recorded.
func On() bool { return state.Load() != nil }

// Enabled reports whether cfg turns tracing on: an endpoint, or one of
// the standard endpoint variables while OTEL_SDK_DISABLED is not true and
// OTEL_TRACES_EXPORTER is not "none".
func Enabled(cfg Config) bool {
	if cfg.Endpoint != "" {
		return true
	}
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") || os.Getenv("OTEL_TRACES_EXPORTER") == "none" {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
}

// CheckEndpoint checks an endpoint setting: empty, or an http or https URL
// with a host and no query.
func CheckEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("want the base URL of an OTLP/HTTP receiver, such as http://127.0.0.1:4318")
	}
	return nil
}

// Setup starts tracing when cfg enables it, and returns the function that
// flushes the spans not yet exported and turns tracing off again. When cfg
// does not enable tracing it does nothing and returns a no-op. It fails on
// a malformed endpoint, and when tracing is on already.
func Setup(ctx context.Context, cfg Config) (shutdown func(context.Context) error, err error) {
	if !Enabled(cfg) {
		return func(context.Context) error { return nil }, nil
	}
	if err := CheckEndpoint(cfg.Endpoint); err != nil {
		return nil, fmt.Errorf("tracing: endpoint %q: %w", cfg.Endpoint, err)
	}
	var opts []otlptracehttp.Option
	if cfg.Endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimSuffix(cfg.Endpoint, "/")+"/v1/traces"))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	// Later sources win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
	// override the defaults.
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", "tearline"), attribute.String("service.version", cfg.Version)),
		resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("tracing: spans not exported", "err", err)
	}))
	// The sampler and the batch limits follow OTEL_TRACES_SAMPLER and
	// OTEL_BSP_*; by default every trace is kept unless the caller's
	// traceparent says it is not sampled.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t := &tracer{
		t:    tp.Tracer(Name, trace.WithInstrumentationVersion(cfg.Version)),
		prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	if !state.CompareAndSwap(nil, t) {
		_ = tp.Shutdown(ctx)
		return nil, errors.New("tracing: already set up in this process")
	}
	return func(ctx context.Context) error {
		state.CompareAndSwap(t, nil)
		if err := tp.Shutdown(ctx); err != nil {
			return fmt.Errorf("tracing: flush: %w", err)
		}
		return nil
	}, nil
}

// Start starts a span named name as a child of ctx's span. While tracing
// is off it returns ctx and a span that does nothing, without allocating.
// Set attributes only when span.IsRecording(), so that building them
// costs nothing while off.
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	t := state.Load()
	if t == nil {
		return ctx, noSpan
	}
	return t.t.Start(ctx, name, opts...)
}

// Logger returns l with the trace_id and span_id of ctx's span when it
// has one, so that log lines lead to the trace; otherwise l itself.
func Logger(ctx context.Context, l *slog.Logger) *slog.Logger {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return l
	}
	return l.With("trace_id", sc.TraceID().String(), "span_id", sc.SpanID().String())
}

// Fail marks span as failed with err, when err is not nil.
func Fail(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
}

// Call is the span of a store call; the zero Call (tracing off) does
// nothing.
type Call struct{ span trace.Span }

// StoreCall starts the span of a store method, "store."+method with the
// database system (sqlite, postgresql) as db.system.name. End it, deferred,
// with the address of the method's named error result.
func StoreCall(ctx context.Context, system, method string) (context.Context, Call) {
	t := state.Load()
	if t == nil {
		return ctx, Call{}
	}
	ctx, span := t.t.Start(ctx, "store."+method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", system)))
	return ctx, Call{span}
}

// End ends the call's span, failed when *err is not nil.
func (c Call) End(err *error) {
	if c.span == nil {
		return
	}
	Fail(c.span, *err)
	c.span.End()
}
