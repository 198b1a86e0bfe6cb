package picfre_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
)

// recorder is a metering hook that keeps every call, to check the
// authorize → capture | void contract from the outside.
type recorder struct {
	mu        sync.Mutex
	deny      map[string]bool // accounts with no credit
	holds     []metering.Hold
	captured  map[string]metering.Event
	voided    map[string]errcode.Code // hold ID → the reason it was voided with
	authCalls int
}

func newRecorder() *recorder {
	return &recorder{captured: map[string]metering.Event{}, voided: map[string]errcode.Code{}, deny: map[string]bool{}}
}

func (r *recorder) Authorize(_ context.Context, a metering.Authorization) (metering.Hold, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.authCalls++
	if r.deny[a.Account] {
		return metering.Hold{}, fmt.Errorf("account %s: %w", a.Account, metering.ErrInsufficientCredits)
	}
	h := metering.Hold{ID: fmt.Sprint(len(r.holds)), Account: a.Account, IdempotencyKey: a.IdempotencyKey, Credits: a.Credits}
	r.holds = append(r.holds, h)
	return h, nil
}

func (r *recorder) Capture(ctx context.Context, h metering.Hold, e metering.Event) error {
	if ctx.Err() != nil {
		return errors.New("capture with a cancelled context")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.captured[h.ID]; dup || r.isVoided(h.ID) {
		return fmt.Errorf("hold %s settled twice", h.ID)
	}
	r.captured[h.ID] = e
	return nil
}

func (r *recorder) Void(ctx context.Context, h metering.Hold, reason errcode.Code) error {
	if ctx.Err() != nil {
		return errors.New("void with a cancelled context")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.captured[h.ID]; dup || r.isVoided(h.ID) {
		return fmt.Errorf("hold %s settled twice", h.ID)
	}
	r.voided[h.ID] = reason
	return nil
}

// isVoided reports whether the hold was voided; r.mu must be held.
func (r *recorder) isVoided(id string) bool {
	_, ok := r.voided[id]
	return ok
}

// reasons returns the reasons of the voids.
func (r *recorder) reasons() []errcode.Code {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []errcode.Code
	for _, c := range r.voided {
		out = append(out, c)
	}
	return out
}

// settledOnce asserts every hold ended in exactly one capture or void.
func (r *recorder) settledOnce(t *testing.T) (captures, voids int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range r.holds {
		_, c := r.captured[h.ID]
		reason, v := r.voided[h.ID]
		if c == v {
			t.Errorf("hold %s: captured=%v voided=%v, want exactly one", h.ID, c, v)
		}
		if v && !reason.Valid() {
			t.Errorf("hold %s voided with reason %q, want a code", h.ID, reason)
		}
	}
	return len(r.captured), len(r.voided)
}

func samples(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, ext := range []string{"*.png", "*.jpg"} {
		m, err := filepath.Glob(filepath.Join("testdata", "samples", ext))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	slices.Sort(out)
	if len(out) < 8 {
		t.Fatalf("found %d samples, want 8", len(out))
	}
	return out
}

func collect(t *testing.T, pl *picfre.Pipeline, ctx context.Context, files []string, o picfre.Options) ([]*picfre.Result, error) {
	t.Helper()
	var got []*picfre.Result
	err := pl.TagAll(ctx, func(yield func(picfre.Media) bool) {
		for _, f := range files {
			if !yield(picfre.File(f)) {
				return
			}
		}
	}, o, func(r *picfre.Result) error { got = append(got, r); return nil })
	return got, err
}

func TestTagSample(t *testing.T) {
	p := fake.New(fake.Options{})
	pl := picfre.New(p, picfre.Config{})
	res, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.File != "testdata/samples/coffee.png" || res.Title == "" || len(res.Keywords) < 10 {
		t.Fatalf("result %+v", res)
	}
	if res.Width != 600 || res.Height != 400 {
		t.Errorf("size %dx%d, want 600x400", res.Width, res.Height)
	}
	if res.Usage.Provider != "fake" || res.Usage.Model != "fake-1" || res.Usage.InputTokens == 0 {
		t.Errorf("usage %+v", res.Usage)
	}
	req := p.Requests()[0]
	if len(req.Parts) != 1 || req.Parts[0].MIMEType != "image/jpeg" || req.Spec.Task != provider.TaskMetadata {
		t.Fatalf("request parts %+v", req.Parts)
	}
}

func TestBadFilesFailAloneWithCodes(t *testing.T) {
	p := fake.New(fake.Options{})
	rec := newRecorder()
	pl := picfre.New(p, picfre.Config{Meter: rec, Pricer: flat(3)})
	files := []string{
		"testdata/samples/rocket.jpg",
		"testdata/bad/empty.jpg",
		"testdata/bad/truncated.jpg",
		"testdata/bad/notes.jpg",
		"testdata/bad/huge.png",
		"testdata/bad/missing.jpg",
		"testdata/samples/chelsea.png",
	}
	got, err := collect(t, pl, t.Context(), files, picfre.Options{Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []errcode.Code{"", errcode.InvalidMedia, errcode.InvalidMedia, errcode.UnsupportedMedia, errcode.TooLarge, errcode.InvalidMedia, ""}
	if len(got) != len(files) {
		t.Fatalf("got %d results for %d files", len(got), len(files))
	}
	for i, r := range got {
		if r.File != files[i] {
			t.Errorf("result %d is for %s, want %s (order)", i, r.File, files[i])
		}
		if c := errcode.Of(r.Err); c != want[i] {
			t.Errorf("%s: code %q (%v), want %q", files[i], c, r.Err, want[i])
		}
	}
	if p.Calls() != 2 {
		t.Errorf("provider called %d times, want 2 (bad files must never reach it)", p.Calls())
	}
	c, v := rec.settledOnce(t)
	if c != 2 || v != 0 || rec.authCalls != 2 {
		t.Errorf("captures %d voids %d authorizations %d; want 2, 0, 2 (bad files are refused before authorize)", c, v, rec.authCalls)
	}
}

func TestErrorsIs(t *testing.T) {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	_, err := pl.Tag(t.Context(), picfre.File("testdata/bad/huge.png"), picfre.Options{})
	if !errors.Is(err, errcode.TooLarge) || errors.Is(err, errcode.InvalidMedia) {
		t.Fatalf("errors.Is: %v", err)
	}
	var ce interface{ ErrorCode() errcode.Code }
	if !errors.As(err, &ce) || ce.ErrorCode() != errcode.TooLarge {
		t.Fatalf("errors.As: %v", err)
	}
}

func TestFailedFilesCostNothing(t *testing.T) {
	var mu sync.Mutex
	n := 0
	p := fake.New(fake.Options{Respond: func(req *provider.Request) fake.Step {
		mu.Lock()
		defer mu.Unlock()
		n++
		switch n % 3 {
		case 0:
			return fake.Step{Fault: provider.Unavailable}
		}
		return fake.Step{}
	}})
	rec := newRecorder()
	pl := picfre.New(p, picfre.Config{Meter: rec, Pricer: flat(5)})
	files := samples(t)
	files = append(files, files...) // 16 files
	got, err := collect(t, pl, t.Context(), files, picfre.Options{Account: "acct-1", Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	var ok, failed int
	for _, r := range got {
		if r.Err != nil {
			failed++
			if errcode.Of(r.Err) != errcode.ProviderFailure {
				t.Errorf("%s: %v", r.File, r.Err)
			}
			continue
		}
		ok++
		if r.Usage.Credits != 5 {
			t.Errorf("%s charged %d, want 5", r.File, r.Usage.Credits)
		}
	}
	c, v := rec.settledOnce(t)
	if c != ok || v != failed || failed != 5 {
		t.Fatalf("ok %d failed %d; captures %d voids %d", ok, failed, c, v)
	}
	for _, e := range rec.captured {
		if e.Credits != 5 || e.Account != "acct-1" || e.File == "" || e.Time.IsZero() || e.Provider != "fake" {
			t.Errorf("event %+v", e)
		}
	}
}

func TestInsufficientCreditsNeverCallsProvider(t *testing.T) {
	p := fake.New(fake.Options{})
	rec := newRecorder()
	rec.deny["poor"] = true
	pl := picfre.New(p, picfre.Config{Meter: rec, Pricer: flat(1)})
	_, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{Account: "poor"})
	if !errors.Is(err, errcode.InsufficientCredits) {
		t.Fatalf("got %v", err)
	}
	if p.Calls() != 0 {
		t.Fatal("provider called for a file that could not be paid for")
	}
}

func TestRepairOnce(t *testing.T) {
	p := fake.New(fake.Options{})
	p.Enqueue(fake.Step{Text: "Sorry, I cannot format that."}, fake.Step{})
	rec := newRecorder()
	pl := picfre.New(p, picfre.Config{Meter: rec})
	res, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	if err != nil || p.Calls() != 2 || res.Title == "" {
		t.Fatalf("repair: %v, %d calls", err, p.Calls())
	}
	p.Enqueue(fake.Step{Text: "nope"}, fake.Step{Text: "```json\n{\"title\":\"x\"}```"})
	_, err = pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	if !errors.Is(err, errcode.BadOutput) || p.Calls() != 4 {
		t.Fatalf("two bad answers: %v after %d calls", err, p.Calls())
	}
	if c, v := rec.settledOnce(t); c != 1 || v != 1 {
		t.Fatalf("captures %d voids %d", c, v)
	}
}

func TestNormalizesAnswers(t *testing.T) {
	p := fake.New(fake.Options{})
	p.Enqueue(fake.Step{Text: "Here you go:\n```json\n" + `{"title":"  A   red\nkite over the hills and far away, flying high above everything else in view ",
	"description":"Kite.","categories":["Nature"," Nature "],
	"keywords":["Kite"," kite ","ChatGPT","", "AI generated","sky","red","hill","wind","summer","flight","toy","string","cloud","blue","outdoor"]}` + "\n```"})
	pl := picfre.New(p, picfre.Config{})
	res, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{MaxTitle: 40, MaxKeywords: 12, MinKeywords: 8})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"kite", "sky", "red", "hill", "wind", "summer", "flight", "toy", "string", "cloud", "blue", "outdoor"}
	if !slices.Equal(res.Keywords, want) {
		t.Errorf("keywords %q\nwant %q", res.Keywords, want)
	}
	if res.Title != "A red kite over the hills and far away," && res.Title != "A red kite over the hills and far away" {
		t.Errorf("title %q", res.Title)
	}
	if len([]rune(res.Title)) > 40 || !slices.Equal(res.Categories, []string{"Nature"}) {
		t.Errorf("title %q categories %q", res.Title, res.Categories)
	}
}

func TestFatalStopsBatch(t *testing.T) {
	p := fake.New(fake.Options{Respond: func(*provider.Request) fake.Step {
		return fake.Step{Fault: provider.QuotaExhausted}
	}})
	rec := newRecorder()
	pl := picfre.New(p, picfre.Config{Meter: rec})
	files := samples(t)
	for range 3 {
		files = append(files, files...)
	}
	got, err := collect(t, pl, t.Context(), files, picfre.Options{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if !errors.Is(r.Err, errcode.QuotaExhausted) {
			t.Fatalf("%s: %v", r.File, r.Err)
		}
	}
	if p.Calls() > 2 {
		t.Fatalf("%d provider calls for %d files after quota ran out; want at most the concurrency (2)", p.Calls(), len(files))
	}
	rec.settledOnce(t)
}

// pngOfWidth returns a PNG w pixels wide, with content varied by seed.
func pngOfWidth(t *testing.T, w int, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, 40))
	for y := range 40 {
		for x := range w {
			img.Set(x, y, color.RGBA{seed, uint8(x), uint8(y * 6), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCancelVoidsEverything(t *testing.T) {
	// The two narrow images are answered at once; the wide ones hang until
	// cancelled. The cancel comes after the second result and once a wide
	// file's request has reached the provider (so its credits are held):
	// whatever order the workers run in, the cancel finds a held file.
	wideCalled := make(chan struct{}, 16)
	p := fake.New(fake.Options{Respond: func(req *provider.Request) fake.Step {
		if req.Parts[0].Width < 100 {
			return fake.Step{}
		}
		wideCalled <- struct{}{}
		return fake.Step{Delay: time.Minute}
	}})
	rec := newRecorder()
	pl := picfre.New(p, picfre.Config{Meter: rec})
	ctx, cancel := context.WithCancel(t.Context())
	batch := []picfre.Media{
		picfre.Bytes("narrow-1.png", pngOfWidth(t, 60, 1)),
		picfre.Bytes("narrow-2.png", pngOfWidth(t, 60, 2)),
	}
	for i := range 10 {
		batch = append(batch, picfre.Bytes(fmt.Sprintf("wide-%d.png", i), pngOfWidth(t, 200, uint8(10+i))))
	}
	var got []*picfre.Result
	err := pl.TagAll(ctx, slices.Values(batch), picfre.Options{Concurrency: 2}, func(r *picfre.Result) error {
		got = append(got, r)
		if len(got) == 2 {
			<-wideCalled
			cancel()
		}
		return nil
	})
	if !errors.Is(err, errcode.Canceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("TagAll after cancel: %v (code %s)", err, errcode.Of(err))
	}
	if len(got) >= len(batch) {
		t.Fatalf("all %d files were processed after cancel", len(got))
	}
	c, v := rec.settledOnce(t)
	if c != 2 || v == 0 || c+v != len(rec.holds) {
		t.Fatalf("captures %d voids %d holds %d; want the 2 narrow files captured and every other hold voided", c, v, len(rec.holds))
	}
	for _, e := range rec.captured {
		if !strings.HasPrefix(e.File, "narrow-") {
			t.Errorf("%s was charged after the cancel", e.File)
		}
	}
	for _, reason := range rec.reasons() {
		if reason != errcode.Canceled {
			t.Errorf("a hold was voided with reason %s, want canceled", reason)
		}
	}
	for _, r := range got[2:] {
		if !errors.Is(r.Err, errcode.Canceled) {
			t.Errorf("%s after cancel: %v", r.File, r.Err)
		}
	}
}

func mediaOf(files []string) []picfre.Media {
	var m []picfre.Media
	for _, f := range files {
		m = append(m, picfre.File(f))
	}
	return m
}

func TestPanicIsInternalAndVoids(t *testing.T) {
	p := fake.New(fake.Options{Respond: func(*provider.Request) fake.Step { panic("driver bug") }})
	rec := newRecorder()
	pl := picfre.New(p, picfre.Config{Meter: rec})
	_, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	if !errors.Is(err, errcode.Internal) {
		t.Fatalf("got %v", err)
	}
	if c, v := rec.settledOnce(t); c != 0 || v != 1 {
		t.Fatalf("captures %d voids %d", c, v)
	}
}

func TestProviderNeverSeesNameAccountOrMetadata(t *testing.T) {
	// hubble_deep_field.jpg carries EXIF written by Photoshop; the
	// prepared image must carry no segment of it.
	dir := t.TempDir()
	name := filepath.Join(dir, "SECRET-client-name-0042.jpg")
	src, err := os.ReadFile("testdata/samples/hubble_deep_field.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte("Photoshop")) {
		t.Fatal("fixture lost its embedded metadata")
	}
	if err := os.WriteFile(name, src, 0o600); err != nil {
		t.Fatal(err)
	}
	p := fake.New(fake.Options{})
	pl := picfre.New(p, picfre.Config{})
	if _, err := pl.Tag(t.Context(), picfre.File(name), picfre.Options{Account: "ACCOUNT-7731"}); err != nil {
		t.Fatal(err)
	}
	// The image's bytes are checked as bytes: in base64 a short digit
	// string such as "0042" turns up by chance.
	reqs := p.Requests()
	img := reqs[0].Parts[0].Data
	for i := range reqs {
		for k := range reqs[i].Parts {
			reqs[i].Parts[k].Data = nil
		}
	}
	wire, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"SECRET", "client-name", "0042", "ACCOUNT-7731", dir, "Photoshop", "Exif"} {
		if bytes.Contains(wire, []byte(leak)) || bytes.Contains(img, []byte(leak)) {
			t.Errorf("request carries %q", leak)
		}
	}
	if bytes.Contains(img, []byte("Photoshop")) || bytes.Contains(img, []byte("Exif\x00")) {
		t.Error("image part carries embedded metadata")
	}
}

func TestOrderedUnderRandomLatency(t *testing.T) {
	var mu sync.Mutex
	n := 0
	p := fake.New(fake.Options{Capabilities: provider.Capabilities{MaxItemsPerRequest: 3}, Respond: func(*provider.Request) fake.Step {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fake.Step{Delay: time.Duration(n*7%5) * 5 * time.Millisecond}
	}})
	pl := picfre.New(p, picfre.Config{})
	files := samples(t)
	files = append(files, files...)
	files = append(files, files[:5]...) // 21: not a multiple of 3
	var progress []int
	var got []*picfre.Result
	// Each copy is its own charge (its own key), so none waits for
	// another with the same content: every file reaches the provider.
	media := mediaOf(files)
	for i := range media {
		media[i].Key = fmt.Sprint("key-", i)
	}
	err := pl.TagAll(t.Context(), slices.Values(media), picfre.Options{Concurrency: 4, Progress: func(p picfre.Progress) { progress = append(progress, p.Done) }},
		func(r *picfre.Result) error { got = append(got, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if r.File != files[i] || r.Err != nil {
			t.Fatalf("result %d: %s (%v), want %s", i, r.File, r.Err, files[i])
		}
	}
	if len(progress) != len(files) || progress[len(progress)-1] != len(files) {
		t.Fatalf("progress %v", progress)
	}
	if p.Calls() != 7 {
		t.Fatalf("%d requests for 21 files at 3 per request, want 7", p.Calls())
	}
	for _, req := range p.Requests() {
		if req.Spec.Items != 3 || len(req.Parts) != 6 {
			t.Fatalf("packed request: %d items, %d parts", req.Spec.Items, len(req.Parts))
		}
	}
}

func TestEmitErrorStops(t *testing.T) {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	stop := errors.New("stop")
	n := 0
	err := pl.TagAll(t.Context(), slices.Values(mediaOf(samples(t))), picfre.Options{}, func(*picfre.Result) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v after %d emits", err, n)
	}
}

func TestInvalidOptions(t *testing.T) {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	for _, o := range []picfre.Options{{Task: "poem"}, {MinKeywords: 20, MaxKeywords: 5}} {
		if _, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), o); !errors.Is(err, errcode.InvalidArgument) {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

func TestNearDuplicatesGetDistinctTitles(t *testing.T) {
	coffee, err := os.ReadFile("testdata/samples/coffee.png")
	if err != nil {
		t.Fatal(err)
	}
	rocket, err := os.ReadFile("testdata/samples/rocket.jpg")
	if err != nil {
		t.Fatal(err)
	}
	// The fake answers from the content, so identical shots get identical
	// answers: exactly the case the pipeline must separate.
	batch := []picfre.Media{
		picfre.Bytes("coffee-1.png", coffee),
		picfre.Bytes("rocket.jpg", rocket),
		picfre.Bytes("coffee-2.png", coffee),
		picfre.Bytes("coffee-3.png", coffee),
	}
	run := func(o picfre.Options) []*picfre.Result {
		var got []*picfre.Result
		pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
		if err := pl.TagAll(t.Context(), slices.Values(batch), o, func(r *picfre.Result) error {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			got = append(got, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := run(picfre.Options{Concurrency: 2})
	c1, c2, c3 := got[0], got[2], got[3]
	if c1.Title == c2.Title || c1.Title == c3.Title || c2.Title == c3.Title {
		t.Fatalf("near-duplicates share a title: %q %q %q", c1.Title, c2.Title, c3.Title)
	}
	if slices.Equal(c1.Keywords, c2.Keywords) || slices.Equal(c2.Keywords, c3.Keywords) {
		t.Fatal("near-duplicates share a keyword order")
	}
	if !sameSet(c1.Keywords, c2.Keywords) {
		t.Fatalf("keyword sets differ: %q vs %q", c1.Keywords, c2.Keywords)
	}
	if c2.Answer == nil || c2.Answer.Title != c2.Title || c1.Answer.Title == c2.Answer.Title {
		t.Fatal("the answer kept for other agencies lost the distinct title")
	}
	off := run(picfre.Options{KeepNearDuplicates: true})
	if off[0].Title != off[2].Title {
		t.Fatal("with the check off, the fake's identical answers should stay identical")
	}
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// flat prices every file at n credits.
func flat(n int64) metering.Pricer {
	return metering.Pricing{Rates: []metering.Rate{{Base: n}}}
}

func TestSecondLanguageKeywords(t *testing.T) {
	p := fake.New(fake.Options{})
	p.Enqueue(fake.Step{Text: `{"title":"Cup of coffee","description":"Coffee.","categories":[],
		"keywords":["coffee","cup","table","wood","drink","morning","cafe","espresso","mug","brown"],
		"keywords_second":["Kaffee","Tasse","Tisch","Kaffee","ChatGPT"]}`})
	pl := picfre.New(p, picfre.Config{})
	res, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{SecondLanguage: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.SecondKeywords, []string{"kaffee", "tasse", "tisch"}) {
		t.Fatalf("second keywords %q", res.SecondKeywords)
	}
	req := p.Requests()[0]
	if !strings.Contains(string(req.Schema), "keywords_second") || !strings.Contains(req.Instructions, `"de"`) {
		t.Fatalf("request does not ask for German keywords:\n%s\n%s", req.Schema, req.Instructions)
	}
}

func TestIteratorPanicReachesCaller(t *testing.T) {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	defer func() {
		if r := recover(); r != "bad iterator" {
			t.Fatalf("recovered %v, want the iterator's panic", r)
		}
	}()
	_ = pl.TagAll(t.Context(), func(yield func(picfre.Media) bool) {
		yield(picfre.File("testdata/samples/coffee.png"))
		panic("bad iterator")
	}, picfre.Options{}, func(*picfre.Result) error { return nil })
	t.Fatal("TagAll returned normally")
}

func TestEmitPanicLeavesNoGoroutine(t *testing.T) {
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{})
	before := runtime.NumGoroutine()
	func() {
		defer func() { _ = recover() }()
		files := samples(t)
		for range 3 {
			files = append(files, files...)
		}
		_ = pl.TagAll(t.Context(), slices.Values(mediaOf(files)), picfre.Options{Concurrency: 2}, func(*picfre.Result) error {
			panic("caller bug")
		})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after a panicking emit, %d before", n, before)
	}
}

func TestDeadlineIsCanceled(t *testing.T) {
	p := fake.New(fake.Options{Latency: time.Minute})
	pl := picfre.New(p, picfre.Config{})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := pl.Tag(ctx, picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	if !errors.Is(err, errcode.Canceled) {
		t.Fatalf("caller's deadline: %v (code %s), want canceled", err, errcode.Of(err))
	}
}

func TestPanicMessageHoldsNoDetail(t *testing.T) {
	p := fake.New(fake.Options{Respond: func(*provider.Request) fake.Step { panic("request body SECRET-BODY") }})
	var logged bytes.Buffer
	pl := picfre.New(p, picfre.Config{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	_, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{})
	if !errors.Is(err, errcode.Internal) || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "goroutine") {
		t.Fatalf("error %q", err)
	}
	if !strings.Contains(logged.String(), "SECRET-BODY") {
		t.Fatalf("the panic was not logged: %q", logged.String())
	}
}

func TestKeyCoversOutputSettings(t *testing.T) {
	rec := newRecorder()
	pl := picfre.New(fake.New(fake.Options{}), picfre.Config{Meter: rec})
	variants := []picfre.Options{
		{}, {SingleWord: true}, {ASCIIOnly: true}, {MaxTitle: 50}, {MaxDescription: 100},
		{SecondLanguage: "de"}, {Require: []string{"a,b"}}, {Require: []string{"a", "b"}},
		{Task: picfre.TaskPrompt}, {Task: picfre.TaskPrompt, Generator: "sd"}, {Account: "x"},
	}
	for _, o := range variants {
		if _, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), o); err != nil {
			t.Fatal(err)
		}
	}
	keys := map[string]bool{}
	for _, h := range rec.holds {
		keys[h.IdempotencyKey] = true
	}
	if len(keys) != len(variants) {
		t.Fatalf("%d distinct keys for %d different settings", len(keys), len(variants))
	}
	// The name is not part of the key: the same bytes under another name
	// (a frontend that renames uploads) are the same charge.
	if _, err := pl.Tag(t.Context(), picfre.Media{Name: "3f2a-uuid.png", Open: picfre.File("testdata/samples/coffee.png").Open}, picfre.Options{}); err != nil {
		t.Fatal(err)
	}
	if last := rec.holds[len(rec.holds)-1]; last.IdempotencyKey != rec.holds[0].IdempotencyKey {
		t.Fatal("a renamed copy got a key of its own")
	}
}
