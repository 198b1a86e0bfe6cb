package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// expandPaths turns the command line's paths into the list of files to
// process: files as given, folders walked recursively in lexical order for
// files with a media extension, hidden files and folders skipped. A path
// that does not exist is kept, so that it is reported as a failed file.
func expandPaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil || !info.IsDir() {
			out = append(out, p)
			continue
		}
		out = append(out, walkMedia(os.DirFS(p), p)...)
	}
	return out
}

// walkMedia lists the media files of the folder fsys, named under root.
// An entry that cannot be read is listed too, so that it fails as its own
// record while the rest of the batch goes on.
func walkMedia(fsys fs.FS, root string) []string {
	var out []string
	_ = fs.WalkDir(fsys, ".", func(rel string, d fs.DirEntry, err error) error {
		path := filepath.Join(root, filepath.FromSlash(rel))
		if err != nil {
			out = append(out, path)
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
		if d.Type().IsRegular() && mediaExtensions[strings.ToLower(filepath.Ext(name))] {
			out = append(out, path)
		}
		return nil
	})
	return out
}
