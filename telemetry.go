package picfre

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/picfre/picfre/errcode"
)

// instrumentationName names picfre's tracer and meter.
const instrumentationName = "github.com/picfre/picfre"

// Attribute keys. Nothing here can hold content, generated metadata, a
// file name or an account, except the two Config.Identify adds.
const (
	attrTask     = attribute.Key("picfre.task")
	attrKind     = attribute.Key("picfre.kind")
	attrCode     = attribute.Key("picfre.code")
	attrOutcome  = attribute.Key("picfre.outcome")
	attrProvider = attribute.Key("picfre.provider")
	attrModel    = attribute.Key("picfre.model")
	attrItems    = attribute.Key("picfre.items")
	attrDir      = attribute.Key("picfre.direction")
	attrReplayed = attribute.Key("picfre.replayed")
	attrFile     = attribute.Key("picfre.file")
	attrAccount  = attribute.Key("picfre.account")
	attrReason   = attribute.Key("picfre.reason")
)

// telemetry is what the pipeline reports to the embedder's logger,
// tracer and meter. With none configured every method returns at once:
// no span, attribute or log record is built.
type telemetry struct {
	logger   *slog.Logger // nil: no logs
	tracer   trace.Tracer // nil: no spans
	identify bool

	metrics  bool
	files    metric.Int64Counter
	failures metric.Int64Counter
	credits  metric.Int64Counter
	tokens   metric.Int64Counter
	requests metric.Int64Counter
	seconds  metric.Float64Histogram
	fallback metric.Int64Counter
}

// newTelemetry sets up what cfg asks for. The instruments' names are
// constants a meter accepts; should one refuse them, metrics stay off.
func newTelemetry(cfg Config) *telemetry {
	t := &telemetry{logger: cfg.Logger, identify: cfg.Identify}
	if cfg.TracerProvider != nil {
		t.tracer = cfg.TracerProvider.Tracer(instrumentationName)
	}
	if cfg.MeterProvider == nil {
		return t
	}
	m := cfg.MeterProvider.Meter(instrumentationName)
	var err error
	counter := func(name, unit, desc string) metric.Int64Counter {
		if err != nil {
			return nil
		}
		var c metric.Int64Counter
		c, err = m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		return c
	}
	t.files = counter("picfre.files", "{file}", "Files processed, by task, kind and outcome.")
	t.failures = counter("picfre.failures", "{file}", "Files that failed, by error code.")
	t.credits = counter("picfre.credits", "{credit}", "Credits captured for processed files.")
	t.tokens = counter("picfre.tokens", "{token}", "Provider tokens, by direction (input, output).")
	t.requests = counter("picfre.requests", "{request}", "Provider requests, by provider and outcome code.")
	t.fallback = counter("picfre.image.jpeg_fallbacks", "{file}",
		"JPEG files decoded by image/jpeg because picfre's own decoder refused them, by reason (unsupported, invalid, internal).")
	if err == nil {
		t.seconds, err = m.Float64Histogram("picfre.file.duration", metric.WithUnit("s"),
			metric.WithDescription("Time from a file's start to its settlement."))
	}
	t.metrics = err == nil
	return t
}

// jpegFallback counts a JPEG that picfre's decoder refused and image/jpeg
// decoded, with jpegdec's reason.
func (t *telemetry) jpegFallback(ctx context.Context, reason string) {
	if t.metrics {
		t.fallback.Add(ctx, 1, metric.WithAttributes(attrReason.String(reason)))
	}
}

// startFile starts a file's span; the span is nil when tracing is off.
func (t *telemetry) startFile(ctx context.Context, j *job, o *settings) trace.Span {
	if t.tracer == nil {
		return nil
	}
	attrs := []attribute.KeyValue{attrTask.String(string(o.Task))}
	if t.identify {
		attrs = append(attrs, attrFile.String(j.media.Name), attrAccount.String(o.Account))
	}
	_, span := t.tracer.Start(ctx, "picfre.file", trace.WithAttributes(attrs...))
	return span
}

// startRequest starts the span of one provider request about jobs,
// linked to their file spans, and returns the context the provider gets
// (middleware adds retry events to its span).
func (t *telemetry) startRequest(ctx context.Context, jobs []*job, provider string) (context.Context, trace.Span) {
	if t.tracer == nil {
		return ctx, nil
	}
	links := make([]trace.Link, 0, len(jobs))
	for _, j := range jobs {
		if j.span != nil {
			links = append(links, trace.Link{SpanContext: j.span.SpanContext()})
		}
	}
	return t.tracer.Start(ctx, "picfre.request", trace.WithLinks(links...),
		trace.WithAttributes(attrProvider.String(provider), attrItems.Int(len(jobs))))
}

// endRequest ends a request span and counts the request.
func (t *telemetry) endRequest(ctx context.Context, span trace.Span, provider, model string, err error) {
	if span == nil && !t.metrics {
		return
	}
	code := errcode.Of(err)
	if span != nil {
		if model != "" {
			span.SetAttributes(attrModel.String(model))
		}
		if err != nil {
			span.SetAttributes(attrCode.String(string(code)))
			span.SetStatus(codes.Error, string(code))
		}
		span.End()
	}
	if t.metrics {
		t.requests.Add(ctx, 1, metric.WithAttributes(attrProvider.String(provider), attrCode.String(outcomeCode(code))))
	}
}

func outcomeCode(c errcode.Code) string {
	if c == "" {
		return "ok"
	}
	return string(c)
}

// endFile reports a settled file: its span, its metrics and its log
// record.
func (t *telemetry) endFile(ctx context.Context, j *job, o *settings) {
	if j.span == nil && !t.metrics && t.logger == nil {
		return
	}
	code := errcode.Of(j.err)
	kind := string(j.kind)
	if kind == "" {
		kind = "unknown"
	}
	if span := j.span; span != nil {
		span.SetAttributes(attrKind.String(kind), attrReplayed.Bool(j.result.Replayed))
		if j.err != nil {
			span.SetAttributes(attrCode.String(string(code)))
			span.SetStatus(codes.Error, string(code))
		}
		span.End()
	}
	if t.metrics {
		outcome := "ok"
		if j.err != nil {
			outcome = "failed"
			t.failures.Add(ctx, 1, metric.WithAttributes(attrCode.String(string(code)), attrKind.String(kind)))
		}
		task := attrTask.String(string(o.Task))
		t.files.Add(ctx, 1, metric.WithAttributes(task, attrKind.String(kind), attrOutcome.String(outcome)))
		if j.err == nil {
			u := j.result.Usage
			if u.Credits > 0 {
				t.credits.Add(ctx, u.Credits, metric.WithAttributes(task))
			}
			p := attrProvider.String(u.Provider)
			if u.InputTokens > 0 {
				t.tokens.Add(ctx, u.InputTokens, metric.WithAttributes(p, attrDir.String("input")))
			}
			if u.OutputTokens > 0 {
				t.tokens.Add(ctx, u.OutputTokens, metric.WithAttributes(p, attrDir.String("output")))
			}
		}
		t.seconds.Record(ctx, time.Since(j.start).Seconds(), metric.WithAttributes(task, attrKind.String(kind), attrOutcome.String(outcome)))
	}
	t.logFile(ctx, j, o, kind, code)
}

func (t *telemetry) logFile(ctx context.Context, j *job, o *settings, kind string, code errcode.Code) {
	if t.logger == nil {
		return
	}
	level := slog.LevelDebug
	if j.err != nil {
		level = slog.LevelWarn
	}
	if !t.logger.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.Int("index", j.index), slog.String("task", string(o.Task)), slog.String("kind", kind))
	if t.identify {
		attrs = append(attrs, slog.String("file", j.media.Name), slog.String("account", o.Account))
	}
	if j.err != nil {
		attrs = append(attrs, slog.String("code", string(code)), slog.String("error", j.err.Error()))
	} else {
		u := j.result.Usage
		attrs = append(attrs, slog.String("provider", u.Provider), slog.String("model", u.Model),
			slog.Int64("input_tokens", u.InputTokens), slog.Int64("output_tokens", u.OutputTokens),
			slog.Int64("credits", u.Credits), slog.Bool("replayed", j.result.Replayed))
	}
	attrs = append(attrs, slog.Duration("duration", time.Since(j.start)))
	msg := "picfre: file done"
	if j.err != nil {
		msg = "picfre: file failed"
	}
	t.logger.LogAttrs(ctx, level, msg, attrs...)
}

// panicked logs a recovered panic; the stack goes to the log only.
func (t *telemetry) panicked(ctx context.Context, msg string, value any, stack []byte) {
	if t.logger == nil {
		return
	}
	t.logger.LogAttrs(ctx, slog.LevelError, msg, slog.String("panic", fmt.Sprint(value)), slog.String("stack", string(stack)))
}

// warn logs an operational problem that does not fail a file.
func (t *telemetry) warn(ctx context.Context, msg string, err error) {
	if t.logger == nil {
		return
	}
	t.logger.LogAttrs(ctx, slog.LevelWarn, msg, slog.String("code", string(errcode.Of(err))), slog.String("error", err.Error()))
}
