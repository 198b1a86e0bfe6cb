package strip

import "testing"

func benchStrip(b *testing.B, name string) {
	data := readFixture(b, name)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Bytes(data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStripJPEG(b *testing.B) { benchStrip(b, "editor_hubble.jpg") }
func BenchmarkStripPNG(b *testing.B)  { benchStrip(b, "camera_chelsea.png") }
func BenchmarkStripWebP(b *testing.B) { benchStrip(b, "camera_chelsea.webp") }
