package stock

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Row is one file in an agency CSV.
type Row struct {
	File string // the file name as uploaded, with extension
	Metadata
	Releases     string // Adobe: release names, comma-separated
	Illustration bool   // Shutterstock
	Mature       bool   // Shutterstock "Mature Content"
	Editorial    bool   // Shutterstock
	Prompt       string // Freepik: the generation prompt for AI content
	Model        string // Freepik: the generator model for AI content
	License      string // Vecteezy: free, pro or editorial
}

// SafeCell makes s safe as one CSV cell for spreadsheets and upload
// portals: line breaks and other control characters become spaces, and a
// cell whose first character a spreadsheet would read as the start of a
// formula (= + - @, tab, CR, also after leading spaces) gets a leading
// apostrophe. Characters after the first are left alone ("well-lit" is
// fine). Quoting is the CSV encoder's job.
func SafeCell(s string) string {
	if strings.IndexFunc(s, isCellControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isCellControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	t := strings.TrimLeft(s, " ")
	if t != "" {
		switch t[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
		// Fullwidth forms that some spreadsheets also evaluate.
		if strings.HasPrefix(t, "＝") || strings.HasPrefix(t, "＋") || strings.HasPrefix(t, "－") || strings.HasPrefix(t, "＠") {
			return "'" + s
		}
	}
	return s
}

func isCellControl(r rune) bool {
	return r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029' || r == '\u0085' || unicode.IsControl(r)
}

// rowRenderer turns rows into bytes in one agency's format.
type rowRenderer struct {
	f   *CSVFormat
	p   *Profile
	buf bytes.Buffer
	cw  *csv.Writer
}

func newRenderer(p *Profile) (*rowRenderer, error) {
	if p == nil || p.CSV == nil {
		name := "<nil>"
		if p != nil {
			name = p.DisplayName
		}
		return nil, fmt.Errorf("%w: %s", ErrNoCSV, name)
	}
	r := &rowRenderer{f: p.CSV, p: p}
	r.cw = csv.NewWriter(&r.buf)
	r.cw.Comma = p.CSV.Comma
	return r, nil
}

func (r *rowRenderer) header() []byte {
	r.buf.Reset()
	if r.f.BOM {
		r.buf.WriteString("\ufeff")
	}
	_ = r.cw.Write(r.f.Headers()) // writes to a bytes.Buffer cannot fail
	r.cw.Flush()
	return bytes.Clone(r.buf.Bytes())
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func (r *rowRenderer) row(row Row) []byte {
	cells := make([]string, len(r.f.Columns))
	for i, c := range r.f.Columns {
		var v string
		switch c.Field {
		case FieldFile:
			v = row.File
		case FieldTitle:
			v = row.Title
			if v == "" {
				v = row.Description
			}
			if r.p.TitleMax > 0 && utf8.RuneCountInString(v) > r.p.TitleMax {
				v = cutWords(cleanLine(v), r.p.TitleMax)
			}
		case FieldDescription:
			v = row.Description
			if v == "" {
				v = row.Title
			}
		case FieldKeywords:
			kw := row.Keywords
			if r.p.KeywordsMax > 0 && len(kw) > r.p.KeywordsMax {
				kw = kw[:r.p.KeywordsMax]
			}
			v = joinCells(kw, r.f.KeywordSep)
		case FieldCategory:
			if len(row.Categories) > 0 {
				v = row.Categories[0]
			}
		case FieldCategories:
			v = joinCells(row.Categories, r.f.CategorySep)
		case FieldReleases:
			v = row.Releases
		case FieldIllustration:
			v = yesNo(row.Illustration)
		case FieldMature:
			v = yesNo(row.Mature)
		case FieldEditorial:
			v = yesNo(row.Editorial)
		case FieldPrompt:
			v = row.Prompt
		case FieldModel:
			v = row.Model
		case FieldLicense:
			v = row.License
		}
		cells[i] = SafeCell(v)
	}
	r.buf.Reset()
	_ = r.cw.Write(cells) // writes to a bytes.Buffer cannot fail
	r.cw.Flush()
	return r.buf.Bytes()
}

// joinCells joins list items; each item is made one line first so that a
// keyword cannot smuggle a line break into the cell.
func joinCells(items []string, sep string) string {
	parts := make([]string, 0, len(items))
	for _, it := range items {
		if it = strings.TrimSpace(cleanLine(it)); it != "" {
			parts = append(parts, it)
		}
	}
	return strings.Join(parts, sep)
}

// CSVWriter writes one agency's upload CSV: the exact header, the
// agency's delimiter and BOM rule, every cell made safe with SafeCell and
// quoted where needed. It does not normalize metadata (see Normalize),
// but as a last line of defence it cuts titles and keyword lists that
// exceed the profile's maximum, so that no row the agency rejects for
// length is written. It does not split files (see SplitWriter). Not safe for concurrent
// use.
type CSVWriter struct {
	w      io.Writer
	r      *rowRenderer
	header bool
	rows   int
}

// NewCSVWriter returns a writer of p's CSV format to w. It fails with
// ErrNoCSV when the agency has no CSV upload.
func NewCSVWriter(w io.Writer, p *Profile) (*CSVWriter, error) {
	r, err := newRenderer(p)
	if err != nil {
		return nil, err
	}
	return &CSVWriter{w: w, r: r}, nil
}

func (w *CSVWriter) writeHeader() error {
	if w.header {
		return nil
	}
	w.header = true
	_, err := w.w.Write(w.r.header())
	return err
}

// Write writes one row, after the header on the first call.
func (w *CSVWriter) Write(row Row) error {
	if err := w.writeHeader(); err != nil {
		return err
	}
	if _, err := w.w.Write(w.r.row(row)); err != nil {
		return err
	}
	w.rows++
	return nil
}

// Flush writes the header if no row was written, so that an empty batch
// still gives a valid file. Rows are written through at once; there is
// nothing else to flush.
func (w *CSVWriter) Flush() error { return w.writeHeader() }

// Rows returns the number of data rows written.
func (w *CSVWriter) Rows() int { return w.rows }

// SplitWriter writes an agency CSV across as many files as the agency's
// row and size limits need (Adobe: 5,000 rows and 1 MB per file). Each
// part starts with the header. Not safe for concurrent use.
type SplitWriter struct {
	create func(part int) (io.WriteCloser, error)
	r      *rowRenderer
	cur    io.WriteCloser
	part   int
	rows   int
	size   int64
	hdr    []byte
}

// NewSplitWriter returns a writer that calls create(1), create(2), ...
// for each part it starts. It fails with ErrNoCSV when the agency has no
// CSV upload.
func NewSplitWriter(p *Profile, create func(part int) (io.WriteCloser, error)) (*SplitWriter, error) {
	r, err := newRenderer(p)
	if err != nil {
		return nil, err
	}
	return &SplitWriter{create: create, r: r, hdr: r.header()}, nil
}

func (s *SplitWriter) next() error {
	if s.cur != nil {
		if err := s.cur.Close(); err != nil {
			s.cur = nil
			return err
		}
		s.cur = nil
	}
	s.part++
	w, err := s.create(s.part)
	if err != nil {
		return err
	}
	s.cur = w
	s.rows, s.size = 0, 0
	n, err := w.Write(s.hdr)
	s.size += int64(n)
	return err
}

// Write writes one row, starting a new part first when the row would
// break the agency's row or byte limit. A row that cannot fit even in an
// empty part fails with ErrTooLarge and nothing is written.
func (s *SplitWriter) Write(row Row) error {
	b := s.r.row(row)
	f := s.r.f
	if f.MaxBytes > 0 && int64(len(s.hdr)+len(b)) > f.MaxBytes {
		return fmt.Errorf("%w: CSV row of %d bytes exceeds the %d-byte file limit", ErrTooLarge, len(b), f.MaxBytes)
	}
	if s.cur == nil ||
		(f.MaxRows > 0 && s.rows >= f.MaxRows) ||
		(f.MaxBytes > 0 && s.size+int64(len(b)) > f.MaxBytes) {
		if err := s.next(); err != nil {
			return err
		}
	}
	n, err := s.cur.Write(b)
	s.size += int64(n)
	if err != nil {
		return err
	}
	s.rows++
	return nil
}

// Parts returns the number of parts started so far.
func (s *SplitWriter) Parts() int { return s.part }

// Close closes the current part. With no rows written it first writes
// one part holding only the header.
func (s *SplitWriter) Close() error {
	if s.cur == nil && s.part == 0 {
		if err := s.next(); err != nil {
			return err
		}
	}
	if s.cur == nil {
		return nil
	}
	err := s.cur.Close()
	s.cur = nil
	return err
}
