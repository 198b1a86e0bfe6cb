package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/stock"
)

// maxRenderBytes bounds the JPEG POST /v1/render/jpeg rewrites, whatever
// Config.MaxFileBytes allows: the file is held in memory while it is
// rewritten.
const maxRenderBytes = 64 << 20

// item is what a CSV row, a sidecar or an embedded packet is made of:
// the Item of the API. Other fields (the rest of a Result) are ignored.
type item struct {
	File        string   `json:"file"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Keywords    []string `json:"keywords"`
	Categories  []string `json:"categories"`
}

// UnmarshalJSON reads an Item and ignores the fields it has no use for,
// so that a Result can be sent back as it came.
func (it *item) UnmarshalJSON(b []byte) error {
	type plain item // without this method
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*it = item(p)
	return nil
}

func (it item) metadata() stock.Metadata {
	return stock.Metadata{Title: it.Title, Description: it.Description, Keywords: it.Keywords, Categories: it.Categories}
}

// row is the item as a CSV row of p: categories given by name become
// p's codes.
func (it item) row(p *stock.Profile) stock.Row {
	m := it.metadata()
	if len(m.Categories) > 0 {
		cats := make([]string, len(m.Categories))
		for i, c := range m.Categories {
			cats[i] = c
			if found, ok := p.Category(c); ok {
				cats[i] = found.Code
			}
		}
		m.Categories = cats
	}
	return stock.Row{File: it.File, Metadata: m}
}

// writeDownload answers body as an attachment with a fixed file name.
func writeDownload(w http.ResponseWriter, contentType, filename string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // the client went away; nothing to tell it
}

// renderAgency is the agency of a render/csv request.
func renderAgency(r *http.Request) (*stock.Profile, error) {
	name := r.URL.Query().Get("agency")
	if name == "" {
		return nil, errcode.New(errcode.InvalidArgument, "query parameter agency is required")
	}
	p, err := stock.Lookup(name)
	if err != nil {
		return nil, errcode.New(errcode.InvalidArgument, "unknown agency; GET /v1/agencies lists them")
	}
	if p.CSV == nil {
		return nil, errcode.New(errcode.InvalidArgument, "this agency takes no CSV upload; use render/xmp or render/jpeg")
	}
	return p, nil
}

// renderCSV serves POST /v1/render/csv: the items as the agency's upload
// CSV. Nothing is kept.
func (h *Handler) renderCSV(w http.ResponseWriter, r *http.Request) {
	p, err := renderAgency(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req struct {
		Items []item `json:"items"`
	}
	if err := decodeJSON(w, r, h.jsonLimit(), &req); err != nil {
		writeError(w, err)
		return
	}
	if len(req.Items) > h.fileCount() {
		writeError(w, errcode.Errorf(errcode.TooLarge, "more than %d items", h.fileCount()))
		return
	}
	var buf bytes.Buffer
	cw, err := stock.NewCSVWriter(&buf, p)
	if err != nil {
		writeError(w, err)
		return
	}
	for _, it := range req.Items {
		if err := cw.Write(it.row(p)); err != nil {
			writeError(w, err)
			return
		}
	}
	if err := cw.Flush(); err != nil {
		writeError(w, err)
		return
	}
	writeDownload(w, "text/csv; charset=utf-8", "picfre-"+p.Name+".csv", buf.Bytes())
}

// renderXMP serves POST /v1/render/xmp: the item as an XMP sidecar.
func (h *Handler) renderXMP(w http.ResponseWriter, r *http.Request) {
	var it item
	if err := decodeJSON(w, r, h.jsonLimit(), &it); err != nil {
		writeError(w, err)
		return
	}
	var buf bytes.Buffer
	if err := stock.WriteSidecar(&buf, it.metadata()); err != nil {
		writeError(w, errcode.WrapIfNone(errcode.InvalidArgument, err))
		return
	}
	writeDownload(w, "application/rdf+xml", "picfre.xmp", buf.Bytes())
}

// renderLimit is the most bytes of a JPEG render/jpeg takes.
func (h *Handler) renderLimit() int64 {
	if h.cfg.MaxFileBytes > 0 && h.cfg.MaxFileBytes < maxRenderBytes {
		return h.cfg.MaxFileBytes
	}
	return maxRenderBytes
}

// renderJPEG serves POST /v1/render/jpeg: a multipart request of the
// part "metadata" (an Item) and then the part "file" (a JPEG), answered
// with the JPEG with the metadata embedded. Nothing is kept.
func (h *Handler) renderJPEG(w http.ResponseWriter, r *http.Request) {
	out, err := h.embed(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	writeDownload(w, "image/jpeg", "picfre.jpg", out)
}

// embed reads the request of render/jpeg and returns the rewritten JPEG.
func (h *Handler) embed(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := h.renderLimit()
	// The whole request: the file, the metadata and the framing.
	r.Body = http.MaxBytesReader(w, r.Body, limit+h.jsonLimit()+64<<10)
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errcode.New(errcode.UnsupportedMedia, "the request must be multipart/form-data")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errcode.New(errcode.UnsupportedMedia, "the request must be multipart/form-data")
	}
	// The metadata comes first.
	part, err := mr.NextPart()
	if err != nil {
		return nil, multipartErr(err, "no metadata part")
	}
	if part.FormName() != "metadata" {
		return nil, errcode.New(errcode.InvalidArgument, `the first part must be "metadata" (an Item as JSON)`)
	}
	b, err := readBounded(part, h.jsonLimit())
	if err != nil {
		return nil, multipartErr(err, "metadata part")
	}
	var it item
	if err := strictJSON(b, &it); err != nil {
		return nil, err
	}
	part, err = mr.NextPart()
	if err != nil {
		return nil, multipartErr(err, "no file part")
	}
	if part.FormName() != "file" {
		return nil, errcode.New(errcode.InvalidArgument, `the second part must be "file" (the JPEG)`)
	}
	src, err := readBounded(part, limit)
	if err != nil {
		return nil, multipartErr(err, "file part")
	}
	if _, err := mr.NextPart(); !errors.Is(err, io.EOF) {
		if err == nil {
			return nil, errcode.New(errcode.InvalidArgument, "only the parts metadata and file are taken")
		}
		return nil, multipartErr(err, "after the file part")
	}
	if len(src) < 3 || src[0] != 0xFF || src[1] != 0xD8 || src[2] != 0xFF {
		return nil, errcode.New(errcode.UnsupportedMedia, "the file is not a JPEG")
	}
	out, err := stock.WriteJPEG(src, it.metadata(), stock.JPEGOptions{})
	if err != nil {
		return nil, errcode.WrapIfNone(errcode.InvalidMedia, err)
	}
	return out, nil
}

// errPartTooLarge: a part over its bound.
var errPartTooLarge = errors.New("part too large")

// readBounded reads r whole, refusing more than limit bytes.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errPartTooLarge
	}
	return b, nil
}

// multipartErr maps a failure reading a multipart request to its code.
func multipartErr(err error, what string) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, errPartTooLarge), errors.As(err, &tooBig):
		return errcode.Errorf(errcode.TooLarge, "%s: over the size limit", what)
	case errcode.Has(err):
		return err
	default:
		return errcode.Errorf(errcode.InvalidArgument, "malformed multipart body: %s", what)
	}
}

// strictJSON decodes b into v as decodeJSON does a body.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errcode.New(errcode.InvalidArgument, "metadata part is not the JSON expected")
	}
	if dec.More() {
		return errcode.New(errcode.InvalidArgument, "metadata part holds more than one JSON value")
	}
	return nil
}
