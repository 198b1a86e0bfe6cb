package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/stock"
)

// record is one output line: the DESIGN.md CLI contract.
type record struct {
	File        string            `json:"file"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Keywords    []string          `json:"keywords,omitempty"`
	Categories  []string          `json:"categories,omitempty"`
	Second      []string          `json:"second_keywords,omitempty"`
	Prompt      string            `json:"prompt,omitempty"`
	Negative    string            `json:"negative_prompt,omitempty"`
	Generator   string            `json:"generator,omitempty"`
	Parameters  map[string]string `json:"prompt_parameters,omitempty"`
	Genre       string            `json:"genre,omitempty"`
	Mood        string            `json:"mood,omitempty"`
	Instruments []string          `json:"instruments,omitempty"`
	Kind        string            `json:"kind,omitempty"`
	Duration    float64           `json:"duration_seconds,omitempty"`
	Problems    []string          `json:"problems,omitempty"`
	Usage       *picfre.Usage     `json:"usage,omitempty"`
	Replayed    bool              `json:"replayed,omitempty"`
	Error       *recordError      `json:"error,omitempty"`
}

type recordError struct {
	Code    picfre.Code `json:"code"`
	Message string      `json:"message"`
}

// writeError is a failure to store a file's metadata (--write). The
// metadata was produced and paid for; only writing it back failed.
type writeError struct{ err error }

func (w *writeError) Error() string { return "write metadata: " + w.err.Error() }
func (w *writeError) Unwrap() error { return w.err }

// codeWriteFailed is the record code of a writeError.
const codeWriteFailed picfre.Code = "write_failed"

func toRecord(r *picfre.Result) record {
	rec := record{File: r.File}
	var we *writeError
	if errors.As(r.Err, &we) {
		rec.Error = &recordError{Code: codeWriteFailed, Message: we.Error()}
	} else if r.Err != nil {
		rec.Error = &recordError{Code: picfre.CodeOf(r.Err), Message: r.Err.Error()}
		return rec
	}
	u := r.Usage
	rec.Title, rec.Description, rec.Keywords, rec.Categories, rec.Prompt, rec.Usage =
		r.Title, r.Description, r.Keywords, r.Categories, r.Prompt, &u
	rec.Negative, rec.Generator, rec.Parameters = r.NegativePrompt, r.Generator, r.PromptParameters
	rec.Genre, rec.Mood, rec.Instruments, rec.Second = r.Genre, r.Mood, r.Instruments, r.SecondKeywords
	rec.Kind, rec.Duration, rec.Problems, rec.Replayed = r.Kind, r.Duration.Seconds(), r.Problems, r.Replayed
	return rec
}

// resultWriter writes records in one output format.
type resultWriter interface {
	Write(r record) error
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

func (j *jsonlWriter) Write(r record) error { return j.enc.Encode(r) }
func (j *jsonlWriter) Close() error         { return nil }

// jsonArrayWriter streams a JSON array, one record per line, so that a long
// batch is never held in memory.
type jsonArrayWriter struct {
	w io.Writer
	n int
}

func (j *jsonArrayWriter) Write(r record) error {
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

func (c *csvWriter) Write(r record) error {
	var code, msg string
	if r.Error != nil {
		code, msg = string(r.Error.Code), r.Error.Message
	}
	row := []string{r.File, r.Title, r.Description, strings.Join(r.Keywords, ", "), strings.Join(r.Categories, ", "), r.Prompt, code, msg}
	for i, cell := range row {
		row[i] = stock.SafeCell(cell)
	}
	return c.w.Write(row)
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}
