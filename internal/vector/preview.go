package vector

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/picfre/picfre/errcode"
)

// ErrNoPreview is returned for an EPS or AI file without its JPEG preview
// next to it. Agencies require vector files to be submitted with a JPEG
// preview of the same name; picfre tags the preview.
var ErrNoPreview = errcode.New(errcode.UnsupportedMedia, "EPS and AI files are tagged through their JPEG preview: put a JPEG with the same name (NAME.jpg) next to the file, as agencies require")

// IsSource reports whether the file at path is a vector source that is
// tagged through its preview: an .eps or .ai file by name. The name only
// routes the file to FindPreview; what is read and sent is the preview,
// whose content the caller checks as for any image.
func IsSource(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".eps", ".ai":
		return true
	}
	return false
}

// FindPreview returns the JPEG preview that sits next to the vector file at
// path: a regular file in the same folder with the same base name and the
// extension .jpg or .jpeg in any letter case ("logo.eps" → "logo.jpg",
// "logo.JPEG"). ok is false when there is none; the caller then reports
// ErrNoPreview. When several match, the exact ".jpg" wins, then the first
// in name order.
func FindPreview(path string) (preview string, ok bool) {
	dir := filepath.Dir(path)
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, want := range []string{base + ".jpg", ""} {
		for _, e := range entries {
			name := e.Name()
			if want != "" && name != want {
				continue
			}
			ext := filepath.Ext(name)
			if !strings.EqualFold(strings.TrimSuffix(name, ext), base) ||
				(!strings.EqualFold(ext, ".jpg") && !strings.EqualFold(ext, ".jpeg")) {
				continue
			}
			full := filepath.Join(dir, name)
			if fi, err := os.Stat(full); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			return full, true
		}
	}
	return "", false
}
