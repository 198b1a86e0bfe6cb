package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/stock"
)

// writeError is a failure to store a file's metadata (--write). When
// checkWrite finds it before the file is sent, nothing was charged;
// when the write itself fails afterwards (an I/O error), the metadata
// was produced and paid for and only writing it back failed. It is
// the CLI's own step, so its code, write_failed, is the CLI's own too:
// every other record code is one of errcode's.
type writeError struct{ err error }

func (w *writeError) Error() string           { return "write metadata: " + w.err.Error() }
func (w *writeError) Unwrap() error           { return w.err }
func (w *writeError) ErrorCode() errcode.Code { return codeWriteFailed }
func (w *writeError) Is(target error) bool    { return codeWriteFailed.Is(target) }

// codeWriteFailed is the record code of a writeError.
const codeWriteFailed errcode.Code = "write_failed"

// toRecord is the result as the CLI prints it: picfre.Result's own JSON
// record, without the unnormalized answer (agency CSVs use it; the
// records would only repeat it).
func toRecord(r *picfre.Result) *picfre.Result {
	rec := *r
	rec.Answer = nil
	return &rec
}

// resultWriter writes records in one output format.
type resultWriter interface {
	Write(r *picfre.Result) error
	// Close ends the output (closing a JSON array, flushing CSV).
	Close() error
}

func newResultWriter(format string, w io.Writer) (resultWriter, error) {
	switch format {
	case "jsonl", "":
		return &jsonlWriter{enc: json.NewEncoder(w)}, nil
	case "json":
		return &jsonArrayWriter{w: w}, nil
	case "csv":
		cw := csv.NewWriter(w)
		err := cw.Write([]string{"file", "title", "description", "keywords", "categories", "prompt", "error_code", "error"})
		return &csvWriter{w: cw}, err
	}
	return nil, usagef("unknown --format %q (want jsonl, json or csv)", format)
}

type jsonlWriter struct{ enc *json.Encoder }

func (j *jsonlWriter) Write(r *picfre.Result) error { return j.enc.Encode(r) }
func (j *jsonlWriter) Close() error                 { return nil }

// jsonArrayWriter streams a JSON array, one record per line, so that a long
// batch is never held in memory.
type jsonArrayWriter struct {
	w io.Writer
	n int
}

func (j *jsonArrayWriter) Write(r *picfre.Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sep := ",\n  "
	if j.n == 0 {
		sep = "[\n  "
	}
	j.n++
	_, err = fmt.Fprintf(j.w, "%s%s", sep, b)
	return err
}

func (j *jsonArrayWriter) Close() error {
	if j.n == 0 {
		_, err := io.WriteString(j.w, "[]\n")
		return err
	}
	_, err := io.WriteString(j.w, "\n]\n")
	return err
}

type csvWriter struct{ w *csv.Writer }

func (c *csvWriter) Write(r *picfre.Result) error {
	var code, msg string
	if r.Err != nil {
		code, msg = string(errcode.Of(r.Err)), r.Err.Error()
	}
	row := []string{picfre.EscapeName(r.File), r.Title, r.Description, strings.Join(r.Keywords, ", "), strings.Join(r.Categories, ", "), r.Prompt, code, msg}
	for i, cell := range row {
		row[i] = stock.SafeCell(cell)
	}
	return c.w.Write(row)
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}
