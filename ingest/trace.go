package ingest

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tearline/tearline/tracing"
)

// The per-object stages of ingest, in the order an object meets them.
const (
	stageValidate = iota // decoding and validation, in the reader
	stageMarkings
	stagePII
	nStages
)

var stageNames = [nStages]string{"ingest.validate", "ingest.markings", "ingest.pii"}

// stages times the per-object stages of a batch while tracing is on (a
// nil *stages does nothing). The stages interleave object by object, and
// a span per object would be thousands per submission, so each batch gets
// one span per stage that starts when the batch's first object was read
// and lasts the sum of the time that stage took over the batch's objects.
type stages struct {
	ctx     context.Context
	start   time.Time // of the batch's first object
	last    time.Time // end of the previous measured step
	objects int
	dur     [nStages]time.Duration
	ran     [nStages]bool // stages the batch went through
}

func newStages(ctx context.Context) *stages {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return nil
	}
	return &stages{ctx: ctx, last: time.Now()}
}

// object starts an object: the time since the previous step was the
// reader's, decoding and validating it.
func (s *stages) object() {
	if s == nil {
		return
	}
	now := time.Now()
	if s.objects == 0 {
		s.start = s.last
	}
	s.objects++
	s.ran[stageValidate] = true
	s.dur[stageValidate] += now.Sub(s.last)
	s.last = now
}

// done ends stage for the current object.
func (s *stages) done(stage int) {
	if s == nil {
		return
	}
	now := time.Now()
	s.ran[stage] = true
	s.dur[stage] += now.Sub(s.last)
	s.last = now
}

// emit records the stage spans of the batch so far and starts a new one.
func (s *stages) emit() {
	if s == nil || s.objects == 0 {
		return
	}
	for i, name := range stageNames {
		if !s.ran[i] {
			continue // no policy of that kind applies
		}
		_, span := tracing.Start(s.ctx, name, trace.WithTimestamp(s.start))
		span.SetAttributes(attribute.Int("tearline.objects", s.objects))
		span.End(trace.WithTimestamp(s.start.Add(s.dur[i])))
	}
	s.objects, s.dur, s.ran = 0, [nStages]time.Duration{}, [nStages]bool{}
}

// resume marks the end of work that is not a per-object stage (storing a
// batch), so that it is not counted as the next object's validation.
func (s *stages) resume() {
	if s != nil {
		s.last = time.Now()
	}
}

// step runs f in a span named name, child of ctx's span.
func step(ctx context.Context, name string, f func(ctx context.Context) error) error {
	ctx, span := tracing.Start(ctx, name)
	err := f(ctx)
	tracing.Fail(span, err)
	span.End()
	return err
}

// traceReport sets the counts of rep on span.
func traceReport(span trace.Span, collectionID string, rep *Report, err error) {
	if span.IsRecording() {
		span.SetAttributes(
			attribute.String("tearline.collection", collectionID),
			attribute.Int("tearline.objects", rep.Objects),
			attribute.Int("tearline.added", rep.Added),
			attribute.Int("tearline.duplicates", rep.Duplicates),
			attribute.Int("tearline.invalid", rep.Invalid),
			attribute.Int("tearline.held", rep.Held),
		)
		tracing.Fail(span, err)
	}
	span.End()
}
