package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/picfre/picfre/errcode"
)

// mediaExtensions are the file name endings picked up when walking a
// folder. They only select candidates: the type is then detected from the
// content, so a text file named .jpg is still reported as unsupported.
var mediaExtensions = map[string]bool{
	".jpg": true, ".jpeg": true, ".jpe": true, ".png": true, ".gif": true, ".webp": true,
	".bmp": true, ".tif": true, ".tiff": true,
	".svg": true, ".eps": true, ".ai": true,
	".mp4": true, ".m4v": true, ".mov": true, ".webm": true, ".mkv": true, ".avi": true,
	".wav": true, ".mp3": true, ".flac": true, ".ogg": true, ".oga": true, ".m4a": true,
}

// entry is one file to process. err, when set, is why it fails without
// being read (a folder that could not be listed, a link to a folder).
type entry struct {
	path string
	err  error
}

// errFolderLink is the record of a symbolic link to a folder met while
// walking: it is not followed (it could loop back to an ancestor or pull
// in another tree), and the user hears of it instead of a silent skip.
var errFolderLink = errcode.New(errcode.UnsupportedMedia, "a link to a folder is not followed; name the folder itself to tag it")

// expandPaths turns the command line's paths into the list of files to
// process: files as given, folders walked recursively in lexical order for
// files with a media extension, hidden files and folders skipped. A path
// that does not exist is kept, so that it is reported as a failed file.
func expandPaths(paths []string) []entry {
	var out []entry
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil || !info.IsDir() {
			out = append(out, entry{path: p})
			continue
		}
		out = append(out, walkMedia(os.DirFS(p), p)...)
	}
	return out
}

// walkMedia lists the media files of the folder fsys, named under root.
// Every entry with a media extension is listed whatever its type, so that
// each gets a record: a regular file is tagged; anything else (a named
// pipe, a socket, a device) is refused by picfre.File before it is read.
// A symbolic link is followed to a file only: a link with a media
// extension is listed (its target is read if it is a regular file, and a
// dangling or looping link fails as invalid_media), and a link to a
// folder is listed as failed with errFolderLink, never walked. An entry
// that cannot be read is listed too, so that it fails as its own record
// while the rest of the batch goes on.
func walkMedia(fsys fs.FS, root string) []entry {
	var out []entry
	_ = fs.WalkDir(fsys, ".", func(rel string, d fs.DirEntry, err error) error {
		path := filepath.Join(root, filepath.FromSlash(rel))
		if err != nil {
			out = append(out, entry{path: path, err: walkError(err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if rel != "." && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if mediaExtensions[strings.ToLower(filepath.Ext(name))] {
			out = append(out, entry{path: path})
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if info, err := fs.Stat(fsys, rel); err == nil && info.IsDir() {
				out = append(out, entry{path: path, err: errFolderLink})
			}
		}
		return nil
	})
	return out
}

// walkError is the record error of a folder entry that could not be
// read, without its path.
func walkError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return errcode.Errorf(errcode.InvalidMedia, "read folder: %w", err)
}

// failing is an Open that fails with err.
func failing(err error) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return nil, err }
}

// staleTempAge is how old a temporary file of replaceFile must be before
// a later run removes it. Writing one file takes far less: a temporary
// file this old belongs to a run that was killed (SIGKILL, power loss)
// between creating it and renaming it into place.
const staleTempAge = time.Hour

// reTempName matches the names of replaceFile's temporary files exactly:
// "." + the file's name + ".picfre-" + the digits os.CreateTemp puts for
// its "*".
var reTempName = regexp.MustCompile(`^\..+\.picfre-[0-9]+$`)

// cleanStaleTemps removes, from each folder of files, the temporary files
// replaceFile left behind in a run that died: regular files whose name
// matches reTempName exactly and that were last modified more than
// staleTempAge before now. Nothing else is touched, and a failure to
// list or remove is ignored (the leftover stays, as before). It returns
// how many it removed.
func cleanStaleTemps(files []entry, now time.Time) int {
	seen := map[string]bool{}
	n := 0
	for _, f := range files {
		dir := filepath.Dir(f.path)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !reTempName.MatchString(e.Name()) {
				continue
			}
			info, err := e.Info()
			if err != nil || now.Sub(info.ModTime()) < staleTempAge {
				continue
			}
			if os.Remove(filepath.Join(dir, e.Name())) == nil {
				n++
			}
		}
	}
	return n
}
