package strip

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picfre/picfre/internal/testenv"
)

// exiftoolTags runs exiftool on a file and returns its tags keyed
// "Group0:Group1:Name", or "Group0:Name" when both groups are the same
// (numeric values, duplicates and unknown tags
// included, composite tags excluded).
func exiftoolTags(t *testing.T, bin, file string) map[string]any {
	t.Helper()
	out, err := exec.Command(bin, "-j", "-G0:1", "-a", "-u", "-e", "-n", file).Output()
	if err != nil {
		t.Fatalf("exiftool %s: %v", filepath.Base(file), err)
	}
	var res []map[string]any
	if err := json.Unmarshal(out, &res); err != nil || len(res) != 1 {
		t.Fatalf("exiftool output: %v", err)
	}
	delete(res[0], "SourceFile")
	return res[0]
}

// pngStructural are the PNG tags exiftool derives from rendering chunks.
var pngStructural = map[string]bool{
	"ImageWidth": true, "ImageHeight": true, "BitDepth": true, "ColorType": true,
	"Compression": true, "Filter": true, "Interlace": true, "ProfileName": true,
	"PixelsPerUnitX": true, "PixelsPerUnitY": true, "PixelUnits": true, "Gamma": true,
	"SRGBRendering": true, "BackgroundColor": true, "SignificantBits": true, "Transparency": true,
}

// TestStripExiftool checks with exiftool itself that the stripped fixtures
// hold no EXIF (other than the kept Orientation), XMP, IPTC, Photoshop,
// comment or PNG text, and still hold the ICC profile.
func TestStripExiftool(t *testing.T) {
	bin := testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	dir := t.TempDir()
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			in := filepath.Join("testdata", fx.file)
			before := exiftoolTags(t, bin, in)
			for _, g := range []string{"EXIF:", "XMP", "ICC_Profile:"} {
				if !hasGroup(before, g) {
					t.Fatalf("fixture has no %s tags: the test would prove nothing", g)
				}
			}
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := Bytes(data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, fx.file)
			if err := os.WriteFile(file, out, 0o644); err != nil {
				t.Fatal(err)
			}
			after := exiftoolTags(t, bin, file)
			for key, val := range after {
				parts := strings.SplitN(key, ":", 3)
				group, name := parts[0], parts[len(parts)-1]
				ok := false
				switch group {
				case "ExifTool":
					ok = name != "Warning" && name != "Error"
				case "File":
					ok = name != "Comment" && (name != "ExifByteOrder" || fx.orientation != 0)
				case "System", "ICC_Profile", "JFIF", "RIFF":
					ok = true
				case "APP14":
					ok = parts[1] == "Adobe"
				case "PNG":
					ok = pngStructural[name]
				case "EXIF":
					ok = key == "EXIF:IFD0:Orientation" && val == float64(fx.orientation)
				}
				if !ok {
					t.Errorf("stripped file still has %s = %v", key, val)
				}
				if s, isString := val.(string); isString && group != "System" {
					for _, id := range identifyingStrings {
						if strings.Contains(s, id) {
							t.Errorf("%s = %q contains %q", key, s, id)
						}
					}
				}
			}
			if fx.orientation != 0 && after["EXIF:IFD0:Orientation"] != float64(fx.orientation) {
				t.Errorf("Orientation = %v, want %d", after["EXIF:IFD0:Orientation"], fx.orientation)
			}
			if got := after["ICC_Profile:ProfileDescription"]; got != "picfre test RGB" {
				t.Errorf("ICC ProfileDescription = %v, want the fixture's profile", got)
			}
		})
	}
}

func hasGroup(tags map[string]any, prefix string) bool {
	for k := range tags {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
