package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/stock"
)

// agencyOutput writes one upload CSV per agency (--agency with --format
// csv). Each agency's rows are normalized to that agency's rules.
type agencyOutput struct {
	rules   stock.Rules
	targets []*agencyTarget
}

type agencyTarget struct {
	profile *stock.Profile
	w       *stock.SplitWriter
}

// newAgencyOutput opens a split writer per agency. With one agency the
// CSV goes to out (stdout when empty); with several, out is required and
// each agency writes OUT-NAME.csv. Parts past an agency's row or size
// limit go to files numbered -2, -3, ... beside the first.
func newAgencyOutput(profiles []*stock.Profile, rules stock.Rules, out string, stdout io.Writer) (*agencyOutput, error) {
	if len(profiles) > 1 && out == "" {
		return nil, usagef("several --agency with --format csv need --out PREFIX: each agency writes PREFIX-NAME.csv")
	}
	ao := &agencyOutput{rules: rules}
	for _, p := range profiles {
		if p.CSV == nil {
			return nil, usagef("%s has no CSV upload; use --format jsonl or --write xmp", p.DisplayName)
		}
		base := out
		if len(profiles) > 1 {
			base = strings.TrimSuffix(out, ".csv") + "-" + p.Name + ".csv"
		}
		create := func(part int) (io.WriteCloser, error) {
			if base == "" {
				if part > 1 {
					return nil, fmt.Errorf("%s allows %d rows per CSV and this batch needs more: use --out FILE to split it into files", p.DisplayName, p.CSV.MaxRows)
				}
				return nopCloser{stdout}, nil
			}
			name := base
			if part > 1 {
				ext := filepath.Ext(base)
				name = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(base, ext), part, ext)
			}
			return os.Create(name)
		}
		w, err := stock.NewSplitWriter(p, create)
		if err != nil {
			return nil, err
		}
		ao.targets = append(ao.targets, &agencyTarget{profile: p, w: w})
	}
	return ao, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Write adds a successful result to every agency's CSV. Failed files are
// left out: an agency cannot take a row without metadata.
func (ao *agencyOutput) Write(r *picfre.Result) error {
	if r.Err != nil {
		return nil
	}
	// Each agency's rules apply to the model's own answer, not to the
	// first agency's version of it (whose categories another agency
	// would not know).
	meta := stock.Metadata{Title: r.Title, Description: r.Description, Keywords: r.Keywords, Categories: r.Categories}
	if r.Answer != nil {
		meta = *r.Answer
	}
	for _, t := range ao.targets {
		m, _ := stock.Normalize(meta, t.profile, ao.rules)
		if err := t.w.Write(stock.Row{File: picfre.EscapeName(filepath.Base(r.File)), Metadata: m}); err != nil {
			return fmt.Errorf("%s CSV: %w", t.profile.DisplayName, err)
		}
	}
	return nil
}

func (ao *agencyOutput) Close() error {
	var errs []error
	for _, t := range ao.targets {
		errs = append(errs, t.w.Close())
	}
	return errors.Join(errs...)
}

// writeMetadata stores a result's metadata with the file, as --write asks:
// "xmp" embeds XMP and IPTC into JPEGs (other files get a sidecar) and
// "sidecar" writes FILE.xmp beside every file, keeping what an existing
// sidecar holds. Files are replaced atomically. Only regular files are
// read (a FIFO named FILE.xmp is refused, not waited on).
func writeMetadata(mode string, r *picfre.Result, lang string) error {
	m := stock.Metadata{Title: r.Title, Description: r.Description, Keywords: r.Keywords}
	if mode == "xmp" {
		src, err := readRegular(r.File)
		if err != nil {
			return err
		}
		if isJPEG(src) {
			out, err := stock.WriteJPEG(src, m, stock.JPEGOptions{Language: lang})
			if err != nil {
				return err
			}
			return replaceFile(r.File, out)
		}
	}
	sidecar := r.File + ".xmp"
	old, err := readRegular(sidecar)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	out, err := stock.MergeXMP(old, m, lang)
	if err != nil {
		return err
	}
	return replaceFile(sidecar, out)
}

func isJPEG(b []byte) bool { return bytes.HasPrefix(b, []byte{0xFF, 0xD8}) }

// readRegular reads the regular file at path through picfre.File, which
// refuses anything else without blocking.
func readRegular(path string) ([]byte, error) {
	rc, err := picfre.File(path).Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// writeProbe is metadata at least as large as any a provider's answer
// leaves after normalization (the agencies' longest title and
// description, 50 keywords of 40 characters), for checkWrite.
var writeProbe = func() stock.Metadata {
	m := stock.Metadata{Title: strings.Repeat("probe ", 40), Description: strings.Repeat("probe ", 340)}
	for i := range 50 {
		m.Keywords = append(m.Keywords, fmt.Sprintf("%s %d", strings.Repeat("k", 36), i))
	}
	return m
}()

// maxCheckedJPEG is the largest JPEG checkWrite reads; larger files are
// beyond the pipeline's byte limit and fail there, unsent.
const maxCheckedJPEG = 1 << 30

// checkWrite reports whether the metadata of the file at path could be
// written as mode asks, before the file is sent or charged: with "xmp", a
// JPEG must take writeProbe (its structure, old XMP in any encoding and
// IPTC must be readable, and the packet must fit); otherwise an existing
// sidecar must be readable XMP. A file that fails here fails as
// write_failed without reaching the provider, so it costs nothing. What
// cannot be checked ahead (the disk filling up, the folder becoming
// read-only) can still fail the write after the file was charged: its
// record says write_failed and the metadata is in the record.
func checkWrite(mode, path, lang string) error {
	if mode == "xmp" {
		rc, err := picfre.File(path).Open()
		if err != nil {
			return nil // the pipeline reports the file itself
		}
		defer rc.Close()
		br := bufio.NewReader(rc)
		if head, _ := br.Peek(2); isJPEG(head) {
			src, err := io.ReadAll(io.LimitReader(br, maxCheckedJPEG+1))
			if err != nil || len(src) > maxCheckedJPEG {
				return nil
			}
			if _, err := stock.WriteJPEG(src, writeProbe, stock.JPEGOptions{Language: lang}); err != nil {
				return &writeError{err: err}
			}
			return nil
		}
	}
	old, err := readRegular(path + ".xmp")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return &writeError{err: err}
	}
	if _, err := stock.MergeXMP(old, writeProbe, lang); err != nil {
		return &writeError{err: err}
	}
	return nil
}

// checkedMedia is m with checkWrite run on path when m is opened, so that
// a file whose metadata could not be written fails before it is sent.
func checkedMedia(m picfre.Media, mode, path, lang string) picfre.Media {
	open := m.Open
	m.Open = func() (io.ReadCloser, error) {
		if err := checkWrite(mode, path, lang); err != nil {
			return nil, err
		}
		return open()
	}
	return m
}

// replaceFile writes data to path through a temporary file in the same
// folder and a rename, so a crash never leaves a half-written file. The
// original's permissions are kept.
func replaceFile(path string, data []byte) error {
	// Write through a symbolic link to its target, so the link stays.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	mode := os.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".picfre-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
