package stock

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picfre/picfre/internal/testenv"
)

// withAFCP appends an AFCP trailer to jpg, the way AXS software writes
// one: header, a directory of a TEXT and an IPTC entry with offsets from
// the start of the file, their data, and the end record.
func withAFCP(jpg []byte, order byteOrder, sig string) []byte {
	text := []byte("AFCP text survives")
	iptc := appendIIM(nil, iimDataset{2, 120, []byte("AFCP caption")})
	out := bytes.Clone(jpg)
	start := len(out)
	out = append(out, sig...)
	out = order.AppendUint16(out, 1) // version
	out = order.AppendUint16(out, 2) // entries
	out = order.AppendUint32(out, 0) // checksum: none
	dataAt := start + 12 + 2*12
	out = append(out, "TEXT"...)
	out = order.AppendUint32(out, uint32(len(text)))
	out = order.AppendUint32(out, uint32(dataAt))
	out = append(out, "IPTC"...)
	out = order.AppendUint32(out, uint32(len(iptc)))
	out = order.AppendUint32(out, uint32(dataAt+len(text)))
	out = append(out, text...)
	out = append(out, iptc...)
	out = append(out, sig...)
	out = order.AppendUint32(out, uint32(start))
	out = order.AppendUint32(out, 0)
	return out
}

// afcpEntries returns the data of each entry of the AFCP trailer at the
// end of b, read through its offsets, or ok false when the offsets do
// not agree with the file.
func afcpEntries(b []byte) (map[string][]byte, bool) {
	start, order, n, ok := afcpTrailer(b, 2)
	if !ok {
		return nil, false
	}
	m := map[string][]byte{}
	for i := range n {
		e := b[start+12+12*i:]
		size, off := order.Uint32(e[4:]), order.Uint32(e[8:])
		m[string(e[:4])] = b[off : off+size]
	}
	return m, true
}

// TestWriteJPEGShiftsAFCPOffsets: writing metadata before the image data
// moves an AFCP trailer; its offsets move with it (for either byte
// order, and when the metadata shrinks), so each entry still points at
// its data.
func TestWriteJPEGShiftsAFCPOffsets(t *testing.T) {
	for _, c := range []struct {
		order byteOrder
		sig   string
	}{{binary.BigEndian, "AXS!"}, {binary.LittleEndian, "AXS*"}} {
		src := withAFCP(tinyJPEG(t), c.order, c.sig)
		out, err := WriteJPEG(src, Metadata{Title: "A long enough title", Keywords: []string{"one", "two"}}, JPEGOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := afcpEntries(out)
		if !ok || string(got["TEXT"]) != "AFCP text survives" || !bytes.Contains(got["IPTC"], []byte("AFCP caption")) {
			t.Fatalf("%s: entries %q ok %v after growing", c.sig, got, ok)
		}
		// Shrinking: write a shorter packet over the long one.
		small, err := WriteJPEG(out, Metadata{Title: "t"}, JPEGOptions{SkipIPTC: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := afcpEntries(small); !ok || string(got["TEXT"]) != "AFCP text survives" {
			t.Fatalf("%s: entries %q ok %v after rewriting", c.sig, got, ok)
		}
	}
	// A trailer that was already inconsistent is copied as it is.
	broken := withAFCP(tinyJPEG(t), binary.BigEndian, "AXS!")
	binary.BigEndian.PutUint32(broken[len(broken)-8:], 3)
	out, err := WriteJPEG(broken, Metadata{Title: "x"}, JPEGOptions{})
	if err != nil || !bytes.HasSuffix(out, broken[len(tinyJPEG(t)):]) {
		t.Fatalf("broken trailer changed: %v", err)
	}
}

// TestWriteJPEGAFCPExiftool: ExifTool reads the AFCP trailer of our
// output without "Adjusted AFCP offsets" or any other warning.
func TestWriteJPEGAFCPExiftool(t *testing.T) {
	exiftool := testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	out, err := WriteJPEG(withAFCP(tinyJPEG(t), binary.BigEndian, "AXS!"), Metadata{Title: "A title", Keywords: []string{"k"}}, JPEGOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "afcp.jpg")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command(exiftool, "-a", "-G1", "-warning", "-AFCP:all", "-validate", path).CombinedOutput()
	if err != nil {
		t.Fatalf("exiftool: %v\n%s", err, b)
	}
	s := string(b)
	if strings.Contains(s, "AFCP offsets") || !strings.Contains(s, "AFCP text survives") {
		t.Fatalf("exiftool:\n%s", s)
	}
}
