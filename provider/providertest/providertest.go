package providertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picfre/picfre/provider"
)

// Harness makes the provider under test.
type Harness interface {
	// MakeProvider returns the provider under test. It is called once per
	// subtest.
	MakeProvider(ctx context.Context) (provider.Provider, error)
	// Close releases what the harness holds. Called once per subtest.
	Close()
}

// Outcome is the scripted result of one request.
type Outcome struct {
	// Text is the model's answer when Fault is empty.
	Text string
	// Usage is what the server reports as billed.
	Usage provider.Usage
	// Fault, when set, makes the request fail the way the real service
	// fails for that code (status, error body, headers).
	Fault provider.Code
	// RetryAfter is the server's retry hint for RateLimited faults.
	RetryAfter time.Duration
	// Delay holds the answer back, to exercise deadlines and cancellation.
	Delay time.Duration
}

// Scripted is a Harness whose provider's answers the suite controls.
type Scripted interface {
	Harness
	// Enqueue scripts the outcome of the next request that reaches the
	// server. Requests beyond the script fail the test.
	Enqueue(o Outcome)
	// Wire returns every request that reached the server so far, each as
	// the raw bytes that crossed the boundary (headers and body for HTTP).
	Wire() [][]byte
	// Secret returns the credential the provider was configured with, or
	// "" if it has none; it must never appear in an error message.
	Secret() string
}

// Fault codes a scripted provider must be able to produce and classify.
var faults = []provider.Code{
	provider.RateLimited,
	provider.QuotaExhausted,
	provider.Unauthenticated,
	provider.InvalidRequest,
	provider.Unavailable,
	provider.Refused,
	provider.Truncated,
}

// RunConformanceTests runs the suite against the providers newHarness makes.
func RunConformanceTests(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	run := func(name string, f func(t *testing.T, h Harness, p provider.Provider)) {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			defer h.Close()
			p, err := h.MakeProvider(t.Context())
			if err != nil {
				t.Fatalf("MakeProvider: %v", err)
			}
			f(t, h, p)
		})
	}
	scripted := func(name string, f func(t *testing.T, h Scripted, p provider.Provider)) {
		run(name, func(t *testing.T, h Harness, p provider.Provider) {
			s, ok := h.(Scripted)
			if !ok {
				t.Skip("harness is not scripted: the provider computes its own answers")
			}
			f(t, s, p)
		})
	}

	run("NameAndCapabilitiesAreStable", testStable)
	run("DeclaredTasksAreConsistent", testTasks)
	run("Metadata", testMetadata)
	run("ReversePrompt", testPrompt)
	run("SeveralItemsInOneRequest", testItems)
	run("CanceledContext", testCanceled)
	run("UnsupportedContent", testUnsupported)
	run("ConcurrentUse", testConcurrent)
	run("StreamedPartWithoutUploadIsRefused", testStreamed)
	run("PreparedPixelsAreAccepted", testPixels)
	scripted("AnswerAndUsageRoundTrip", testRoundTrip)
	scripted("ContentReachesTheWire", testWire)
	scripted("NonJSONAnswerIsReturnedAsText", testNonJSON)
	scripted("DeadlineIsTimeout", testDeadline)
	scripted("CancelWhileWaiting", testCancelWaiting)
	for _, code := range faults {
		scripted("Fault/"+string(code), func(t *testing.T, h Scripted, p provider.Provider) {
			testFault(t, h, p, code)
		})
	}
}

// sampleImage is the colour gradient SampleJPEG encodes.
func sampleImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(255 * x / w), uint8(255 * y / h), 160, 255})
		}
	}
	return img
}

// SampleJPEG returns a small real JPEG (a colour gradient) for tests.
func SampleJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, sampleImage(w, h), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const metadataSchema = `{"type":"object","additionalProperties":false,` +
	`"required":["title","description","keywords","categories"],"properties":{` +
	`"title":{"type":"string"},"description":{"type":"string"},` +
	`"keywords":{"type":"array","items":{"type":"string"}},` +
	`"categories":{"type":"array","items":{"type":"string"}}}}`

const promptSchema = `{"type":"object","additionalProperties":false,` +
	`"required":["prompt"],"properties":{"prompt":{"type":"string"}}}`

// NewRequest returns a request for task about one JPEG per item, the way
// the pipeline builds it: instructions, a strict schema, and a Spec with
// every field a provider without a language model answers from.
func NewRequest(t testing.TB, task provider.Task, items int) *provider.Request {
	t.Helper()
	schema := metadataSchema
	if task == provider.TaskPrompt {
		schema = promptSchema
	}
	if items > 1 {
		schema = `{"type":"object","additionalProperties":false,"required":["items"],` +
			`"properties":{"items":{"type":"array","minItems":` + itoa(items) +
			`,"maxItems":` + itoa(items) + `,"items":` + schema + `}}}`
	}
	req := &provider.Request{
		Instructions: "Describe each image for a stock photo agency. Answer in JSON.",
		Schema:       json.RawMessage(schema),
		SchemaName:   "picfre_" + string(task),
		Spec: provider.Spec{Task: task, Items: items, Media: provider.MediaImage, Language: "en",
			MinKeywords: 8, MaxKeywords: 25, MaxTitle: 70, MaxDescription: 200},
	}
	for i := range items {
		data := SampleJPEG(t, 64+16*i, 48)
		req.Parts = append(req.Parts,
			provider.Part{Item: i, MIMEType: "text/plain", Text: "Image " + itoa(i+1) + ":"},
			provider.Part{Item: i, MIMEType: "image/jpeg", Data: data, Width: 64 + 16*i, Height: 48})
	}
	return req
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func canned(task provider.Task) string {
	if task == provider.TaskPrompt {
		return `{"prompt":"a colour gradient from teal to magenta, soft studio light"}`
	}
	return `{"title":"Colour gradient","description":"A smooth gradient.",` +
		`"keywords":["gradient","colour","background","abstract","smooth","teal","magenta","pastel"],"categories":["Backgrounds"]}`
}

// knownTasks are the tasks a provider may declare.
var knownTasks = []provider.Task{provider.TaskMetadata, provider.TaskPrompt}

// mainTask is the task the behaviours that do not depend on the task
// run with: metadata, or the prompt task for a provider that declares
// only that.
func mainTask(p provider.Provider) provider.Task {
	if p.Capabilities().Supports(provider.TaskMetadata) {
		return provider.TaskMetadata
	}
	return provider.TaskPrompt
}

func testStable(t *testing.T, _ Harness, p provider.Provider) {
	if p.Name() == "" {
		t.Fatal("Name() is empty")
	}
	if first, second := p.Name(), p.Name(); first != second {
		t.Fatalf("Name() changed between calls: %q, then %q", first, second)
	}
	a, b := p.Capabilities(), p.Capabilities()
	if a.MaxItemsPerRequest != b.MaxItemsPerRequest || a.ImageSize != b.ImageSize || a.Video != b.Video || a.Audio != b.Audio ||
		a.Pixels != b.Pixels || !slices.Equal(a.Tasks, b.Tasks) {
		t.Fatalf("Capabilities changed between calls: %+v vs %+v", a, b)
	}
	if a.MaxItemsPerRequest < 0 || a.ImageSize < 0 || a.MaxInlineBytes < 0 {
		t.Fatalf("negative capability: %+v", a)
	}
}

// generate runs one request, enqueueing an answer first when scripted.
func generate(t *testing.T, h Harness, p provider.Provider, req *provider.Request, answer string) *provider.Response {
	t.Helper()
	if s, ok := h.(Scripted); ok {
		s.Enqueue(Outcome{Text: answer, Usage: provider.Usage{InputTokens: 120, OutputTokens: 40}})
	}
	resp, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if resp == nil {
		t.Fatal("Generate returned nil response and nil error")
	}
	return resp
}

func decodeObject(t *testing.T, text string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, text)
	}
	return v
}

func checkMetadata(t *testing.T, v map[string]any, spec provider.Spec) {
	t.Helper()
	title, _ := v["title"].(string)
	if strings.TrimSpace(title) == "" {
		t.Errorf("title is empty in %v", v)
	}
	if spec.MaxTitle > 0 && len([]rune(title)) > spec.MaxTitle {
		t.Errorf("title has %d characters, limit %d", len([]rune(title)), spec.MaxTitle)
	}
	if d, ok := v["description"].(string); !ok || strings.TrimSpace(d) == "" {
		t.Errorf("description is missing or empty in %v", v)
	}
	kw, ok := v["keywords"].([]any)
	if !ok {
		t.Fatalf("keywords is not an array in %v", v)
	}
	if len(kw) < spec.MinKeywords || (spec.MaxKeywords > 0 && len(kw) > spec.MaxKeywords) {
		t.Errorf("got %d keywords, want %d..%d", len(kw), spec.MinKeywords, spec.MaxKeywords)
	}
	for _, k := range kw {
		if s, ok := k.(string); !ok || strings.TrimSpace(s) == "" {
			t.Errorf("keyword %#v is not a non-empty string", k)
		}
	}
	if _, ok := v["categories"].([]any); !ok {
		t.Errorf("categories is not an array in %v", v)
	}
	if d, _ := v["description"].(string); spec.MaxDescription > 0 && len([]rune(d)) > spec.MaxDescription {
		t.Errorf("description has %d characters, limit %d", len([]rune(d)), spec.MaxDescription)
	}
}

// checkItem checks one item's answer to task.
func checkItem(t *testing.T, v map[string]any, spec provider.Spec) {
	t.Helper()
	if spec.Task == provider.TaskPrompt {
		if s, _ := v["prompt"].(string); strings.TrimSpace(s) == "" {
			t.Errorf("prompt is empty in %v", v)
		}
		return
	}
	checkMetadata(t, v, spec)
}

// testTasks checks the declaration of Capabilities.Tasks: only known
// tasks, none twice, Supports agreeing with the list, and a request for
// a task the provider does not declare failing with Unsupported before
// anything is sent.
func testTasks(t *testing.T, h Harness, p provider.Provider) {
	caps := p.Capabilities()
	seen := map[provider.Task]bool{}
	for _, task := range caps.Tasks {
		if !slices.Contains(knownTasks, task) {
			t.Errorf("Capabilities.Tasks lists unknown task %q (known: %v)", task, knownTasks)
		}
		if seen[task] {
			t.Errorf("Capabilities.Tasks lists %q twice", task)
		}
		seen[task] = true
	}
	for _, task := range knownTasks {
		if want := len(caps.Tasks) == 0 || seen[task]; caps.Supports(task) != want {
			t.Errorf("Supports(%q) = %v, but Tasks is %v", task, !want, caps.Tasks)
		}
	}
	if len(caps.Tasks) == 0 {
		return // every task: the task behaviours below check the answers
	}
	for _, task := range knownTasks {
		if seen[task] {
			continue
		}
		_, err := p.Generate(t.Context(), NewRequest(t, task, 1))
		if c := provider.Classify(err); c != provider.Unsupported {
			t.Errorf("task %q is not declared: got code %q (%v), want %q", task, c, err, provider.Unsupported)
		}
		if s, ok := h.(Scripted); ok && len(s.Wire()) != 0 {
			t.Errorf("a request for undeclared task %q reached the server", task)
		}
	}
}

// skipUnless skips a behaviour of task for a provider that does not
// declare it; testTasks checks such providers instead.
func skipUnless(t *testing.T, p provider.Provider, task provider.Task) {
	t.Helper()
	if !p.Capabilities().Supports(task) {
		t.Skipf("provider does not declare task %q (Capabilities.Tasks %v)", task, p.Capabilities().Tasks)
	}
}

func testMetadata(t *testing.T, h Harness, p provider.Provider) {
	skipUnless(t, p, provider.TaskMetadata)
	req := NewRequest(t, provider.TaskMetadata, 1)
	resp := generate(t, h, p, req, canned(provider.TaskMetadata))
	checkMetadata(t, decodeObject(t, resp.Text), req.Spec)
}

// testPixels sends image parts that carry Part.Image (the pixels their
// Data encodes) as well as Data, the way the pipeline sends them to a
// provider declaring Capabilities.Pixels. Every provider must answer: one
// that declares Pixels reads them, any other ignores them (a fallback
// chain hands them to all its members).
func testPixels(t *testing.T, h Harness, p provider.Provider) {
	task := mainTask(p)
	n := max(min(p.Capabilities().MaxItemsPerRequest, 2), 1)
	req := NewRequest(t, task, n)
	for i := range req.Parts {
		if part := &req.Parts[i]; !part.IsText() {
			part.Image = sampleImage(part.Width, part.Height)
		}
	}
	answer := canned(task)
	if n > 1 {
		answer = `{"items":[` + answer + "," + answer + `]}`
	}
	resp := generate(t, h, p, req, answer)
	v := decodeObject(t, resp.Text)
	if n == 1 {
		checkItem(t, v, req.Spec)
		return
	}
	items, ok := v[provider.ItemsKey].([]any)
	if !ok || len(items) != n {
		t.Fatalf("answer has no %d items: %s", n, resp.Text)
	}
	for _, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			t.Fatalf("item %v is not an object", it)
		}
		checkItem(t, obj, req.Spec)
	}
}

func testPrompt(t *testing.T, h Harness, p provider.Provider) {
	skipUnless(t, p, provider.TaskPrompt)
	req := NewRequest(t, provider.TaskPrompt, 1)
	resp := generate(t, h, p, req, canned(provider.TaskPrompt))
	checkItem(t, decodeObject(t, resp.Text), req.Spec)
}

func testItems(t *testing.T, h Harness, p provider.Provider) {
	n := p.Capabilities().MaxItemsPerRequest
	if n < 2 {
		t.Skip("provider takes one item per request")
	}
	n = min(n, 3)
	task := mainTask(p)
	req := NewRequest(t, task, n)
	var items []string
	for range n {
		items = append(items, canned(task))
	}
	resp := generate(t, h, p, req, `{"items":[`+strings.Join(items, ",")+`]}`)
	v := decodeObject(t, resp.Text)
	arr, ok := v[provider.ItemsKey].([]any)
	if !ok || len(arr) != n {
		t.Fatalf("want %d answers under %q, got %v", n, provider.ItemsKey, v)
	}
	for _, a := range arr {
		m, ok := a.(map[string]any)
		if !ok {
			t.Fatalf("item answer %v is not an object", a)
		}
		checkItem(t, m, req.Spec)
	}
}

func testCanceled(t *testing.T, h Harness, p provider.Provider) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := p.Generate(ctx, NewRequest(t, mainTask(p), 1))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate with a cancelled context: got %v, want an error wrapping context.Canceled", err)
	}
	if s, ok := h.(Scripted); ok && len(s.Wire()) != 0 {
		t.Fatalf("a request reached the server although the context was cancelled")
	}
}

func testUnsupported(t *testing.T, h Harness, p provider.Provider) {
	if p.Capabilities().Audio {
		t.Skip("provider takes audio")
	}
	req := NewRequest(t, mainTask(p), 1)
	req.Parts = []provider.Part{{MIMEType: "audio/wav", Data: []byte("RIFF\x24\x00\x00\x00WAVEfmt ")}}
	_, err := p.Generate(t.Context(), req)
	if got := provider.Classify(err); got != provider.Unsupported {
		t.Fatalf("audio to a provider without audio: got code %q (%v), want %q", got, err, provider.Unsupported)
	}
	if s, ok := h.(Scripted); ok && len(s.Wire()) != 0 {
		t.Fatalf("unsupported content was sent to the server")
	}
}

func testConcurrent(t *testing.T, h Harness, p provider.Provider) {
	const n = 8
	if s, ok := h.(Scripted); ok {
		for range n {
			s.Enqueue(Outcome{Text: canned(mainTask(p))})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			req := NewRequest(t, mainTask(p), 1)
			resp, err := p.Generate(t.Context(), req)
			if err == nil {
				var v map[string]any
				err = json.Unmarshal([]byte(resp.Text), &v)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func testRoundTrip(t *testing.T, h Scripted, p provider.Provider) {
	answer := canned(mainTask(p))
	h.Enqueue(Outcome{Text: answer, Usage: provider.Usage{InputTokens: 321, OutputTokens: 54}})
	resp, err := p.Generate(t.Context(), NewRequest(t, mainTask(p), 1))
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal([]byte(resp.Text), &got); err != nil {
		t.Fatalf("answer text is not the JSON the server sent: %v", err)
	}
	_ = json.Unmarshal([]byte(answer), &want)
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Fatalf("answer text:\n got %s\nwant %s", gj, wj)
	}
	if resp.Usage != (provider.Usage{InputTokens: 321, OutputTokens: 54}) {
		t.Fatalf("usage: got %+v, want 321 in / 54 out", resp.Usage)
	}
	if len(h.Wire()) != 1 {
		t.Fatalf("one Generate sent %d requests, want 1", len(h.Wire()))
	}
}

func testWire(t *testing.T, h Scripted, p provider.Provider) {
	req := NewRequest(t, mainTask(p), 1)
	h.Enqueue(Outcome{Text: canned(mainTask(p))})
	if _, err := p.Generate(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	wire := h.Wire()
	if len(wire) != 1 {
		t.Fatalf("got %d requests on the wire, want 1", len(wire))
	}
	img := req.Parts[1].Data
	if !bytes.Contains(wire[0], img) && !bytes.Contains(wire[0], []byte(base64.StdEncoding.EncodeToString(img))) {
		t.Fatal("the image bytes (raw or base64) are not in the request on the wire")
	}
	if !bytes.Contains(wire[0], []byte("stock photo agency")) {
		t.Fatal("the instructions are not in the request on the wire")
	}
}

func testNonJSON(t *testing.T, h Scripted, p provider.Provider) {
	h.Enqueue(Outcome{Text: "I'm sorry, here is a description: a gradient."})
	resp, err := p.Generate(t.Context(), NewRequest(t, mainTask(p), 1))
	if err != nil {
		if c := provider.Classify(err); c != provider.BadOutput {
			t.Fatalf("non-JSON answer: got %v (code %q); want the text back or a %q error", err, c, provider.BadOutput)
		}
		return
	}
	if !strings.Contains(resp.Text, "a gradient") {
		t.Fatalf("non-JSON answer text lost: %q", resp.Text)
	}
}

func testDeadline(t *testing.T, h Scripted, p provider.Provider) {
	h.Enqueue(Outcome{Text: canned(mainTask(p)), Delay: 3 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Generate(ctx, NewRequest(t, mainTask(p), 1))
	if got := provider.Classify(err); got != provider.Timeout {
		t.Fatalf("deadline: got code %q (%v), want %q", got, err, provider.Timeout)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Generate returned %s after its deadline", d)
	}
}

func testCancelWaiting(t *testing.T, h Scripted, p provider.Provider) {
	h.Enqueue(Outcome{Text: canned(mainTask(p)), Delay: 3 * time.Second})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := p.Generate(ctx, NewRequest(t, mainTask(p), 1))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel while waiting: got %v, want an error wrapping context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Generate returned %s after cancellation", d)
	}
}

func testFault(t *testing.T, h Scripted, p provider.Provider, code provider.Code) {
	o := Outcome{Fault: code}
	if code == provider.RateLimited {
		o.RetryAfter = 7 * time.Second
	}
	h.Enqueue(o)
	req := NewRequest(t, mainTask(p), 1)
	_, err := p.Generate(t.Context(), req)
	if err == nil {
		t.Fatalf("fault %q: Generate succeeded", code)
	}
	if got := provider.Classify(err); got != code {
		t.Fatalf("fault %q: classified as %q (%v)", code, got, err)
	}
	if code == provider.RateLimited {
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.RetryAfter != o.RetryAfter {
			t.Errorf("retry hint: got %v, want a *provider.Error with RetryAfter %s", err, o.RetryAfter)
		}
	}
	if n := len(h.Wire()); n != 1 {
		t.Errorf("fault %q: the provider sent %d requests; drivers must not retry on their own", code, n)
	}
	msg := err.Error()
	if s := h.Secret(); s != "" && strings.Contains(msg, s) {
		t.Errorf("error message contains the credential: %q", msg)
	}
	if strings.Contains(msg, base64.StdEncoding.EncodeToString(req.Parts[1].Data)[:40]) {
		t.Errorf("error message contains image bytes: %q", msg)
	}
	if strings.Contains(msg, "stock photo agency") {
		t.Errorf("error message contains the request body: %q", msg)
	}
}

func testStreamed(t *testing.T, h Harness, p provider.Provider) {
	if p.Capabilities().MaxUploadBytes > 0 {
		t.Skip("provider uploads streamed parts")
	}
	req := NewRequest(t, mainTask(p), 1)
	data := req.Parts[1].Data
	req.Parts[1].Data = nil
	req.Parts[1].Size = int64(len(data))
	req.Parts[1].Open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	_, err := p.Generate(t.Context(), req)
	if c := provider.Classify(err); c != provider.InvalidRequest && c != provider.Unsupported {
		t.Fatalf("streamed part to a provider without an upload path: got %q (%v), want %q or %q", c, err, provider.InvalidRequest, provider.Unsupported)
	}
	if s, ok := h.(Scripted); ok && len(s.Wire()) != 0 {
		t.Fatal("a request with a streamed part was sent to a provider that cannot take it")
	}
}
