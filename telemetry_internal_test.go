package picfre

import (
	"context"
	"testing"
	"time"

	"github.com/picfre/picfre/errcode"
)

// With no logger, tracer or meter, every telemetry call on a file's path
// returns without building anything: zero allocations.
func TestTelemetryOffAllocatesNothing(t *testing.T) {
	tel := newTelemetry(Config{})
	o := &settings{Options: Options{Task: TaskMetadata}}
	j := &job{start: time.Now(), err: errcode.New(errcode.TooLarge, "x")}
	ctx := context.Background()
	jobs := []*job{j}
	allocs := testing.AllocsPerRun(1000, func() {
		j.span = tel.startFile(ctx, j, o)
		rctx, span := tel.startRequest(ctx, jobs, "fake")
		tel.endRequest(rctx, span, "fake", "m", nil)
		tel.endFile(ctx, j, o)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per file with telemetry off, want 0", allocs)
	}
}
