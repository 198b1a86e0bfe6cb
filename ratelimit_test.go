package picfre_test

import (
	"errors"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/provider/fake"
)

// TestConfigRequestsPerMinute: a known limit paces the pipeline's
// requests from the first one; a negative one fails every call with
// invalid_argument.
func TestConfigRequestsPerMinute(t *testing.T) {
	p := fake.New(fake.Options{})
	pl := picfre.New(p, picfre.Config{RequestsPerMinute: 120}) // one per 500 ms
	start := time.Now()
	for range 3 {
		if _, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 900*time.Millisecond || p.Calls() != 3 {
		t.Fatalf("3 requests at 120 a minute in %s (%d calls), want at least 1 s", took, p.Calls())
	}

	pl = picfre.New(fake.New(fake.Options{}), picfre.Config{RequestsPerMinute: -1})
	_, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	if !errors.Is(err, errcode.InvalidArgument) {
		t.Fatalf("negative RequestsPerMinute: %v, want invalid_argument", err)
	}
}
