package webapp_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // the file:// spool

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/provider/local"
	"github.com/picfre/picfre/store"
	"github.com/picfre/picfre/webapp"
)

// account is the single user of the test server.
const account = "local"

// chromium returns the browser to drive: PICFRE_TEST_CHROMIUM, else
// Debian's /usr/bin/chromium. Without one the test skips, and fails in CI,
// where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PICFRE_TEST_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("no chromium at %s (apt-get install chromium, or set PICFRE_TEST_CHROMIUM): %v", path, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// server is the whole service in the test process: the ledger and the
// queue in one SQLite file, a file:// spool, the offline local provider,
// the API at /v1/ and the web app at /.
type server struct {
	*httptest.Server
	jobs   *jobs.Service
	ledger *metering.Ledger
}

func newServer(t *testing.T, credits int64) *server {
	t.Helper()
	return newServerWith(t, credits, nil, nil)
}

// newServerWith is newServer with changes to the API's Config, and extra
// handlers on the server's mux.
func newServerWith(t *testing.T, credits int64, config func(*httpapi.Config), extra map[string]http.Handler) *server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "picfre.db")
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ledger := db.Ledger()
	if _, err := ledger.TopUp(ctx, metering.TopUp{Account: account, Credits: credits, PaymentRef: "pay-browser-test"}); err != nil {
		t.Fatal(err)
	}
	spool, err := blob.OpenBucket(ctx, "file://"+filepath.ToSlash(filepath.Join(dir, "spool"))+"?create_dir=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { spool.Close() })
	pricing := metering.Pricing{Rates: []metering.Rate{{Base: 1}}}
	pipeline := picfre.New(local.New(local.Options{}), picfre.Config{Meter: ledger, Pricer: pricing})
	svc, err := jobs.Open(ctx, dsn, jobs.Config{
		Tagger: pipeline, Spool: spool, Ledger: ledger, Pricer: pricing,
		Workers: 2, PollInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	cfg := httpapi.Config{
		Jobs:      svc,
		Auth:      httpapi.AuthenticatorFunc(func(*http.Request) (string, error) { return account, nil }),
		Ledger:    ledger,
		Pricer:    pricing,
		Estimator: pipeline,
		Subjects:  &privacy.Subjects{Contacts: db.Contacts(), Ledger: ledger, Jobs: svc},
	}
	if config != nil {
		config(&cfg)
	}
	api, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("/", webapp.Handler())
	for pattern, h := range extra {
		mux.Handle(pattern, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &server{Server: srv, jobs: svc, ledger: ledger}
}

// newBrowser starts a headless chromium with a fresh profile and returns a
// tab's context, bounded by timeout. The page's console errors and
// uncaught exceptions are logged when the test fails.
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.WindowSize(1280, 1000),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser, opens the tab
		t.Fatalf("starting chromium: %v", err)
	}
	var mu sync.Mutex
	var console []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" || m.Type == "warning" {
				mu.Lock()
				console = append(console, string(m.Type)+": "+m.String())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if t.Failed() {
			for _, line := range console {
				t.Log("browser console:", line)
			}
		}
	})
	return ctx
}

// do runs steps, failing the test with what was being done.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript predicate in the page until it is true.
func waitFor(t *testing.T, ctx context.Context, what, predicate string, timeout time.Duration) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// downloads lets the tab download into a fresh folder and returns a func
// that runs click and waits for the file it downloads.
func downloads(t *testing.T, ctx context.Context) func(what string, click chromedp.Action[chromedp.Void]) []byte {
	t.Helper()
	dir := t.TempDir()
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior:      browser.SetDownloadBehaviorBehaviorAllowAndName,
		DownloadPath:  dir,
		EventsEnabled: new(true),
	}); err != nil {
		t.Fatalf("allowing downloads: %v", err)
	}
	return func(what string, click chromedp.Action[chromedp.Void]) []byte {
		t.Helper()
		progress := chromedp.Events(ctx, browser.DownloadProgress)
		do(t, ctx, "starting the download of "+what, click)
		for ev, err := range progress {
			if err != nil {
				t.Fatalf("downloading %s: %v", what, err)
			}
			switch ev.State {
			case browser.DownloadProgressStateCompleted:
				b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
				if err != nil {
					t.Fatalf("reading the download of %s: %v", what, err)
				}
				return b
			case browser.DownloadProgressStateCanceled:
				t.Fatalf("the download of %s was canceled", what)
			}
		}
		t.Fatalf("no download of %s", what)
		return nil
	}
}

// samples are the repository's public-domain sample photos.
func samples(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pattern := range []string{"*.png", "*.jpg"} {
		m, err := filepath.Glob(filepath.Join("..", "testdata", "samples", pattern))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) < 4 {
		t.Fatalf("found %d sample photos in testdata/samples", len(out))
	}
	for i, p := range out {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = abs
	}
	return out
}

// shown is one result card as the page shows it.
type shown struct {
	File     string   `json:"file"`
	Title    string   `json:"title"`
	Keywords []string `json:"keywords"`
}

const readCards = `[...document.querySelectorAll("#grid .card")].filter(c => c.querySelector(".title")).map(c => ({
	file: c.querySelector(".file-name").textContent,
	title: c.querySelector(".title").value,
	keywords: [...c.querySelectorAll(".chip .kw")].map(k => k.textContent),
}))`

// The page loads under its CSP and shows every control a contributor needs.
func TestBrowserPageControls(t *testing.T) {
	srv := newServer(t, 10)
	ctx := newBrowser(t, 30*time.Second)
	do(t, ctx, "opening the app", chromedp.Navigate(srv.URL))
	waitFor(t, ctx, "the app to start", `document.body.dataset.ready === "true"`, 15*time.Second)
	for _, id := range []string{"agency", "task", "language", "keywords", "file-input", "folder-input", "start",
		"export", "erase", "ad-user-data", "ad-personalization", "opted-out"} {
		label := eval[string](t, ctx, fmt.Sprintf(`(() => { const c = document.getElementById(%q); return c && c.labels && c.labels.length ? c.labels[0].textContent.trim() : (c ? c.textContent.trim() : "missing"); })()`, id))
		if label == "" || label == "missing" {
			t.Errorf("control #%s: label %q", id, label)
		}
	}
	if !eval[bool](t, ctx, `document.getElementById("folder-input").webkitdirectory`) {
		t.Error("the folder input does not take folders")
	}
	agencies := eval[[]string](t, ctx, `[...document.querySelectorAll("#agency option")].map(o => o.value)`)
	if !slices.Contains(agencies, "adobe") || !slices.Contains(agencies, "shutterstock") {
		t.Errorf("agency options %v lack adobe or shutterstock", agencies)
	}
	if got := eval[string](t, ctx, `document.getElementById("agency").value`); got != "adobe" {
		t.Errorf("default agency %q, want adobe", got)
	}
	csvButtons := eval[[]string](t, ctx, `[...document.querySelectorAll("#csv-buttons button")].map(b => b.dataset.agency)`)
	if !slices.Contains(csvButtons, "adobe") {
		t.Errorf("CSV buttons %v lack adobe", csvButtons)
	}
	if got := eval[string](t, ctx, `document.getElementById("balance-available").textContent`); got != "10" {
		t.Errorf("available credits shown %q, want 10", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("errors").textContent`); got != "" {
		t.Errorf("the page shows an error: %q", got)
	}
	if !eval[bool](t, ctx, `document.getElementById("signin").hidden`) {
		t.Error("single-user mode shows the sign-in form")
	}
}

// A contributor's whole session in a real browser: upload the sample
// photos, see the estimate, wait for every file, edit keywords, download
// the Adobe CSV and check it against the page, export, erase.
func TestBrowserEndToEnd(t *testing.T) {
	start := time.Now()
	srv := newServer(t, 100)
	ctx := newBrowser(t, 90*time.Second)
	files := samples(t)
	n := len(files)
	download := downloads(t, ctx)

	do(t, ctx, "opening the app", chromedp.Navigate(srv.URL))
	waitFor(t, ctx, "the app to start", `document.body.dataset.ready === "true"`, 15*time.Second)

	// Choose the files; the estimate appears with the balance.
	// Among them a text file, a type the service does not take: the page
	// leaves it out and says so.
	notes := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notes, []byte("not a photo"), 0o600); err != nil {
		t.Fatal(err)
	}
	chosen := slices.Insert(slices.Clone(files), 1, notes)
	do(t, ctx, "choosing the sample photos and a text file", chromedp.SetUploadFiles(chromedp.ID("file-input"), chosen))
	waitFor(t, ctx, "the estimate", `!!document.querySelector("#estimate .estimate-credits")`, 15*time.Second)
	if got := eval[string](t, ctx, `document.getElementById("skipped").textContent`); !strings.Contains(got, "Skipped 1 file: notes.txt") {
		t.Errorf("skipped message %q, want it to name notes.txt", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("skipped").getAttribute("aria-live") || ""`); got != "polite" {
		t.Errorf("the skipped message is not a live region (aria-live %q)", got)
	}
	if got := eval[int](t, ctx, `document.querySelectorAll("#file-list li").length`); got != n {
		t.Fatalf("file list shows %d files, want %d", got, n)
	}
	estimate := eval[string](t, ctx, `document.getElementById("estimate").textContent`)
	if !strings.Contains(estimate, fmt.Sprintf("%d credits", n)) || !strings.Contains(estimate, "100 credits available") {
		t.Errorf("estimate %q: want %d credits and 100 available", estimate, n)
	}

	// Start; every file gets done and the results grid appears.
	do(t, ctx, "starting", chromedp.WaitEnabled(chromedp.ID("start")), chromedp.Click(chromedp.ID("start")))
	waitFor(t, ctx, "every file done and the results shown",
		fmt.Sprintf(`document.querySelectorAll('#file-list li[data-state="done"]').length === %d && !document.getElementById("results").hidden && document.querySelectorAll("#grid .card .title").length === %d`, n, n),
		45*time.Second)
	if got := eval[string](t, ctx, `document.getElementById("live").textContent`); !strings.Contains(got, fmt.Sprintf("%d of %d", n, n)) {
		t.Errorf("live region %q does not say all %d are done", got, n)
	}
	// The page refreshes the balance after the results, asynchronously.
	waitFor(t, ctx, "the balance after the job",
		fmt.Sprintf(`document.getElementById("balance-available").textContent === "%d"`, 100-n), 10*time.Second)
	// Nothing of the results is left on the server.
	jl, err := srv.jobs.Jobs(context.Background(), account)
	if err != nil || len(jl) != 1 {
		t.Fatalf("jobs on the server: %v, %v", jl, err)
	}
	if job, err := srv.jobs.Job(context.Background(), account, jl[0].ID); err != nil {
		t.Fatal(err)
	} else {
		for _, f := range job.Files {
			if f.Held {
				t.Errorf("file %d's result is still held on the server after the page fetched it", f.Index)
			}
		}
	}
	// Thumbnails are object URLs of the local files.
	thumbs := eval[[]string](t, ctx, `[...document.querySelectorAll("#grid .card img")].map(i => i.src)`)
	if len(thumbs) != n {
		t.Errorf("%d thumbnails, want %d", len(thumbs), n)
	}
	for _, src := range thumbs {
		if !strings.HasPrefix(src, "blob:") {
			t.Errorf("thumbnail %q is not made in the browser", src)
		}
	}

	// Edit the first card's keywords: delete the second, add one, move the
	// new first one down.
	before := eval[[]shown](t, ctx, readCards)
	kw := before[0].Keywords
	if len(kw) < 3 {
		t.Fatalf("card 0 has keywords %v; the local provider gives more", kw)
	}
	card := `#grid .card[data-index="0"] `
	do(t, ctx, "deleting a keyword", chromedp.Click(chromedp.CSS(card+`.chip:nth-child(2) button.delete`)))
	do(t, ctx, "adding a keyword",
		chromedp.SendKeys(chromedp.CSS(card+`.add-keyword`), "browser test"+kb.Enter))
	do(t, ctx, "moving a keyword down", chromedp.Click(chromedp.CSS(card+`.chip:nth-child(1) button.down`)))
	want := slices.Concat([]string{kw[2], kw[0]}, kw[3:], []string{"browser test"})
	after := eval[[]shown](t, ctx, readCards)
	if !slices.Equal(after[0].Keywords, want) {
		t.Fatalf("keywords after the edits %q, want %q", after[0].Keywords, want)
	}
	// A title over Adobe's limit is warned about next to the field.
	long := strings.Repeat("x", 75)
	do(t, ctx, "writing a long title", chromedp.SetValue(chromedp.CSS(`#f1-title`), long))
	waitFor(t, ctx, "the title warning", `document.getElementById("f1-title-warn").textContent.includes("at most 70")`, 5*time.Second)
	do(t, ctx, "writing a shorter title", chromedp.SetValue(chromedp.CSS(`#f1-title`), "A title from the browser test"))
	waitFor(t, ctx, "the warning to go", `document.getElementById("f1-title-warn").textContent === ""`, 5*time.Second)
	after = eval[[]shown](t, ctx, readCards)

	// The Adobe CSV holds what the page shows.
	do(t, ctx, "making the Adobe CSV", chromedp.Click(chromedp.CSS(`#csv-buttons button[data-agency="adobe"]`)))
	do(t, ctx, "waiting for the CSV link", chromedp.WaitVisible(chromedp.CSS(`#csv-links a[data-key="adobe"]`)))
	if got := eval[string](t, ctx, `document.activeElement.dataset.key || ""`); got != "adobe" {
		t.Errorf("focus is on %q after making the CSV, want the link", got)
	}
	shot := screenshot(t, ctx)
	raw := download("the Adobe CSV", chromedp.Click(chromedp.CSS(`#csv-links a[data-key="adobe"]`)))
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, raw)
	}
	if len(rows) != n+1 || !slices.Equal(rows[0][:3], []string{"Filename", "Title", "Keywords"}) {
		t.Fatalf("CSV has %d rows, header %v; want %d rows, Filename,Title,Keywords,...", len(rows), rows[0], n+1)
	}
	for i, s := range after {
		row := rows[i+1]
		if row[0] != s.File || row[1] != s.Title || row[2] != strings.Join(s.Keywords, ", ") {
			t.Errorf("CSV row %d = %q, %q, %q; the page shows %q, %q, %q", i+1, row[0], row[1], row[2], s.File, s.Title, strings.Join(s.Keywords, ", "))
		}
	}

	// The export has the job's records and none of the generated text.
	do(t, ctx, "asking for the export", chromedp.Click(chromedp.ID("export")))
	do(t, ctx, "waiting for the export link", chromedp.WaitVisible(chromedp.CSS(`#export-links a[data-key="export"]`)))
	raw = download("the export", chromedp.Click(chromedp.CSS(`#export-links a[data-key="export"]`)))
	var export struct {
		Jobs []struct {
			ID    string `json:"id"`
			Files []struct {
				Name string `json:"name"`
			} `json:"files"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(raw, &export); err != nil {
		t.Fatalf("the export is not JSON: %v", err)
	}
	if len(export.Jobs) != 1 || len(export.Jobs[0].Files) != n {
		t.Fatalf("export jobs %+v: want one job of %d files", export.Jobs, n)
	}
	var anything any
	_ = json.Unmarshal(raw, &anything)
	generated := map[string]bool{}
	for _, s := range before {
		generated[s.Title] = true
		for _, k := range s.Keywords {
			generated[k] = true
		}
	}
	walkJSON(anything, func(key string, s string) {
		if key == "title" || key == "keywords" || key == "description" {
			t.Errorf("the export has a %q field", key)
		}
		if s != "" && generated[s] {
			t.Errorf("the export holds generated text %q (under %q)", s, key)
		}
	})

	// Erase, confirmed in the dialog; the account shows it.
	do(t, ctx, "asking to erase", chromedp.Click(chromedp.ID("erase")))
	do(t, ctx, "waiting for the dialog", chromedp.WaitVisible(chromedp.ID("erase-dialog")))
	if got := eval[string](t, ctx, `document.activeElement.id`); got != "erase-cancel" {
		t.Errorf("the dialog's focus is on %q, want the safe choice", got)
	}
	do(t, ctx, "confirming", chromedp.Click(chromedp.ID("erase-confirm")))
	waitFor(t, ctx, "the erased state", `document.getElementById("erased-state").dataset.erased === "true"`, 10*time.Second)
	if got := eval[string](t, ctx, `document.getElementById("erased-state").textContent`); !strings.Contains(got, "erased") {
		t.Errorf("erased state %q", got)
	}
	waitFor(t, ctx, "the history without usage",
		`document.querySelectorAll("#history tr").length > 0 && ![...document.querySelectorAll("#history td")].some(td => td.textContent === "File processed")`, 10*time.Second)
	if jl, err := srv.jobs.Jobs(context.Background(), account); err != nil || len(jl) != 0 {
		t.Errorf("jobs left on the server after the erasure: %d, %v", len(jl), err)
	}
	if got := eval[string](t, ctx, `document.getElementById("errors").textContent`); got != "" {
		t.Errorf("the page shows an error: %q", got)
	}

	if os.Getenv("PICFRE_UPDATE_SCREENSHOT") == "1" {
		path := filepath.Join("..", "docs", "webapp-results.png")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
	t.Logf("the browser session took %v", time.Since(start).Round(time.Millisecond))
}

// screenshot takes a PNG of the page's results section as it is.
func screenshot(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("results")))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatal("the screenshot is not a PNG")
	}
	return png
}

// walkJSON calls fn with every object key (s "") and every string value
// (with the key it is under) of v.
func walkJSON(v any, fn func(key, s string)) {
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				fn(k, "")
				walk(k, x)
			}
		case []any:
			for _, x := range v {
				walk(key, x)
			}
		case string:
			fn(key, v)
		}
	}
	walk("", v)
}
