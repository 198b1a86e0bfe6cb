package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/stock"
)

func TestRenderCSV(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	body := `{"items":[
		{"file":"beach.jpg","title":"=HYPERLINK(\"http://evil.example\",\"click\")","description":"d",
		 "keywords":["beach","sea"],"categories":["Landscapes"]},
		{"file":"../../etc/passwd","title":"Quiet harbour at dawn","keywords":["+cmd|' /C calc'!A0","boat"],
		 "categories":["11"],"usage":{"input_tokens":3},"index":4,"task":"metadata"}]}`
	r := api.a.do(t, "POST", "/v1/render/csv?agency=adobe", body)
	r.want(t, http.StatusOK, "")
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename=picfre-adobe.csv` && cd != `attachment; filename="picfre-adobe.csv"` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatalf("CSV %q: %v", r.body, err)
	}
	if len(rows) != 3 || !slices.Equal(rows[0], []string{"Filename", "Title", "Keywords", "Category", "Releases"}) {
		t.Fatalf("rows %q", rows)
	}
	// Formula injection: the cell starts with an apostrophe.
	if got := rows[1][1]; !strings.HasPrefix(got, "'=HYPERLINK(") {
		t.Fatalf("title cell %q: want an apostrophe before the formula", got)
	}
	if got := rows[2][2]; !strings.HasPrefix(got, "'+cmd") {
		t.Fatalf("keywords cell %q: want an apostrophe before the formula", got)
	}
	// A category given by name becomes Adobe's code.
	if rows[1][3] != "11" || rows[2][3] != "11" {
		t.Fatalf("categories %q, %q: want Adobe's code 11 (Landscapes)", rows[1][3], rows[2][3])
	}
	if rows[1][0] != "beach.jpg" || rows[1][2] != "beach, sea" {
		t.Fatalf("row %q", rows[1])
	}

	// An empty list is a header alone.
	r = api.a.do(t, "POST", "/v1/render/csv?agency=shutterstock", `{"items":[]}`)
	r.want(t, http.StatusOK, "")
	if rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\uFEFF")))).ReadAll(); err != nil || len(rows) != 1 {
		t.Fatalf("empty CSV %q: %v", r.body, err)
	}
}

func TestRenderCSVHostile(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) { c.MaxFiles = 2; c.MaxJSONBytes = 8192 }))
	items := func(n int) string {
		return `{"items":[` + strings.TrimSuffix(strings.Repeat(`{"title":"t"},`, n), ",") + `]}`
	}
	for _, tc := range []struct {
		name, query, body string
		status            int
		code              string
		check             string // "invalid": the document refuses the request; "unchecked": it cannot tell
	}{
		{"no agency", "", items(1), 400, "invalid_argument", "invalid"},
		{"unknown agency", "?agency=nosuchagency", items(1), 400, "invalid_argument", ""},
		{"agency without CSV", "?agency=getty", items(1), 400, "invalid_argument", ""},
		{"bad JSON", "?agency=adobe", `{"items":[{`, 400, "invalid_argument", "invalid"},
		{"unknown field", "?agency=adobe", `{"items":[],"rows":[]}`, 400, "invalid_argument", "invalid"},
		{"keywords not a list", "?agency=adobe", `{"items":[{"keywords":"a,b"}]}`, 400, "invalid_argument", "invalid"},
		{"too many items", "?agency=adobe", items(3), 413, "too_large", "unchecked"},
		{"over-size body", "?agency=adobe", `{"items":[{"title":"` + strings.Repeat("x", 9000) + `"}]}`, 413, "too_large", "unchecked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := api.a
			switch tc.check {
			case "invalid":
				c = c.invalid()
			case "unchecked":
				c = c.unchecked()
			}
			r := c.do(t, "POST", "/v1/render/csv"+tc.query, tc.body)
			r.want(t, tc.status, tc.code)
			if strings.Contains(string(r.body), "nosuchagency") {
				t.Fatalf("the error echoes the query: %s", r.body)
			}
		})
	}
}

func TestRenderXMP(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	r := api.a.do(t, "POST", "/v1/render/xmp", `{"file":"x.mov","title":"Cat <b>asleep</b> & dreaming","description":"A cat","keywords":["cat","sleep"]}`)
	r.want(t, http.StatusOK, "")
	if ct := r.header.Get("Content-Type"); ct != "application/rdf+xml" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "picfre.xmp") || strings.Contains(cd, "x.mov") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	m, err := stock.ReadXMP(r.body)
	if err != nil {
		t.Fatalf("sidecar %s: %v", r.body, err)
	}
	if m.Title != "Cat <b>asleep</b> & dreaming" || m.Description != "A cat" || !slices.Equal(m.Keywords, []string{"cat", "sleep"}) {
		t.Fatalf("sidecar reads back as %+v", m)
	}
	api.a.invalid().do(t, "POST", "/v1/render/xmp", `{"title":`).want(t, http.StatusBadRequest, "invalid_argument")
	api.a.invalid().do(t, "POST", "/v1/render/xmp", `"title"`).want(t, http.StatusBadRequest, "invalid_argument")
}

// jpegForm is a render/jpeg request: the metadata part, then the file.
func jpegForm(meta string, file []byte, filename string) *form {
	return newForm().metadata(meta).part("file", filename, file)
}

// metadata adds a part metadata of type application/json.
func (f *form) metadata(s string) *form { return f.jsonPart("metadata", s) }

func TestRenderJPEG(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1))
	src := photo(t, 7)
	meta := `{"file":"a.jpg","title":"Red kite over a field","description":"A red kite hunting","keywords":["kite","bird","field"]}`
	r := api.a.do(t, "POST", "/v1/render/jpeg", jpegForm(meta, src, `..\..\evil"; filename="x.exe`))
	r.want(t, http.StatusOK, "")
	if ct := r.header.Get("Content-Type"); ct != "image/jpeg" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename=picfre.jpg` && cd != `attachment; filename="picfre.jpg"` {
		t.Fatalf("Content-Disposition %q: want the fixed name", cd)
	}
	m, err := stock.ReadJPEG(r.body)
	if err != nil {
		t.Fatal(err)
	}
	if m.Title != "Red kite over a field" || m.Description != "A red kite hunting" || !slices.Equal(m.Keywords, []string{"kite", "bird", "field"}) {
		t.Fatalf("embedded %+v", m)
	}
	if _, _, err := image.Decode(bytes.NewReader(r.body)); err != nil {
		t.Fatalf("the answer is no image: %v", err)
	}
}

func TestRenderJPEGHostile(t *testing.T) {
	api := newTestAPI(t, withWorkers(-1), withConfig(func(c *httpapi.Config) { c.MaxFileBytes = 64 << 10; c.MaxJSONBytes = 4096; c.UploadsPerMinute = -1 }))
	src := photo(t, 3)
	meta := `{"title":"t","keywords":["k"]}`
	var pngBuf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{1, 2, 3, 255})
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	big := append(append([]byte{}, src...), make([]byte, 70<<10)...)
	truncated := append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10}, []byte("JFIF")...)
	for _, tc := range []struct {
		name   string
		form   *form
		status int
		code   string
	}{
		{"PNG", jpegForm(meta, pngBuf.Bytes(), "a.png"), 415, "unsupported_media"},
		{"text", jpegForm(meta, []byte("hello"), "a.jpg"), 415, "unsupported_media"},
		{"empty file", jpegForm(meta, nil, "a.jpg"), 415, "unsupported_media"},
		{"broken JPEG", jpegForm(meta, truncated, "a.jpg"), 422, "invalid_media"},
		{"file too large", jpegForm(meta, big, "a.jpg"), 413, "too_large"},
		{"metadata too large", jpegForm(`{"title":"`+strings.Repeat("x", 5000)+`"}`, src, "a.jpg"), 413, "too_large"},
		{"bad metadata", jpegForm(`{"title":`, src, "a.jpg"), 400, "invalid_argument"},
		{"metadata with a list for a title", jpegForm(`{"title":["a"]}`, src, "a.jpg"), 400, "invalid_argument"},
		{"file first", newForm().part("file", "a.jpg", src).part("metadata", "", []byte(meta)), 400, "invalid_argument"},
		{"no file", newForm().part("metadata", "", []byte(meta)), 400, "invalid_argument"},
		{"nothing", newForm(), 400, "invalid_argument"},
		{"a third part", jpegForm(meta, src, "a.jpg").part("file", "b.jpg", src), 400, "invalid_argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api.a.unchecked().do(t, "POST", "/v1/render/jpeg", tc.form).want(t, tc.status, tc.code)
		})
	}
	// Not multipart at all.
	api.a.invalid().do(t, "POST", "/v1/render/jpeg", meta).want(t, http.StatusUnsupportedMediaType, "unsupported_media")
	// A boundary that never comes.
	api.a.unchecked().do(t, "POST", "/v1/render/jpeg", []byte("--x\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{}"),
		"Content-Type", "multipart/form-data; boundary=x").want(t, http.StatusBadRequest, "invalid_argument")
}

// FuzzRenderJPEG sends any bytes as a render/jpeg request, as the
// metadata or as the file: the server answers a coded error or a JPEG,
// never 500, never a panic.
func FuzzRenderJPEG(f *testing.F) {
	api := newTestAPI(f, withWorkers(-1), withConfig(func(c *httpapi.Config) { c.MaxFileBytes = 1 << 20; c.UploadsPerMinute, c.RequestsPerMinute = -1, -1 }))
	src := photo(f, 5)
	f.Add([]byte(`{"title":"t","keywords":["a"]}`), src, false)
	f.Add([]byte(`{}`), src[:len(src)/2], false)
	f.Add([]byte(`{"title":"`+strings.Repeat("ü", 40000)+`"}`), src, false)
	f.Add([]byte("x"), []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E', 'x', 'i', 'f'}, false)
	f.Add(jpegForm(`{"title":"t"}`, src, "a.jpg").bytes(), []byte(nil), true)
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{}\r\n--b\r\n"), []byte(nil), true)
	f.Fuzz(func(t *testing.T, meta, file []byte, raw bool) {
		var body []byte
		ctype := ""
		if raw {
			// meta is the whole body, under a fixed boundary.
			body, ctype = meta, "multipart/form-data; boundary=b"
		} else {
			fm := jpegForm(string(meta), file, "a.jpg")
			body, ctype = fm.bytes(), fm.contentType()
		}
		req, err := http.NewRequest("POST", api.srv.URL+"/v1/render/jpeg", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+tokenA)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := api.srv.Client().Do(req.WithContext(ctx))
		if err != nil {
			t.Fatalf("raw=%v meta=%d file=%d: %v", raw, len(meta), len(file), err)
		}
		defer res.Body.Close()
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(res.Body); err != nil {
			t.Fatal(err)
		}
		switch res.StatusCode {
		case http.StatusOK:
			if res.Header.Get("Content-Type") != "image/jpeg" {
				t.Fatalf("200 of type %q", res.Header.Get("Content-Type"))
			}
			if _, err := stock.ReadJPEG(buf.Bytes()); err != nil {
				t.Fatalf("the answer does not read back: %v", err)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(buf.Bytes(), &e); err != nil || e.Error.Code == "" {
				t.Fatalf("status %d with body %q", res.StatusCode, buf.Bytes())
			}
		default:
			t.Fatalf("status %d: %s", res.StatusCode, buf.Bytes())
		}
	})
}
