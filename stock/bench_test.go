package stock

import (
	"fmt"
	"io"
	"testing"
)

func benchKeywords() []string {
	kw := make([]string, 60)
	for i := range kw {
		kw[i] = fmt.Sprintf("Keyword number %d", i%45)
	}
	return append(kw, "ChatGPT", "f/2.8", "crème brûlée", "https://example.com")
}

func BenchmarkNormalizeAdobe(b *testing.B) {
	p := mustLookup(b, "adobe")
	m := Metadata{Title: "Falcon rocket lifting off from the launch pad at dusk, with clouds of smoke", Description: "A rocket launch.", Keywords: benchKeywords(), Categories: []string{"Transport"}}
	for b.Loop() {
		Normalize(m, p, Rules{Required: []string{"rocket"}})
	}
}

func BenchmarkNormalizeShutterstock(b *testing.B) {
	p := mustLookup(b, "shutterstock")
	m := Metadata{Title: "Café in Zürich — 東京", Keywords: benchKeywords(), Categories: []string{"Food & drink"}}
	for b.Loop() {
		Normalize(m, p, Rules{})
	}
}

func BenchmarkWriteJPEG(b *testing.B) {
	src := readSample(b, "rocket.jpg")
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := WriteJPEG(src, sampleMeta, JPEGOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCSVRow(b *testing.B) {
	w, _ := NewCSVWriter(io.Discard, mustLookup(b, "adobe"))
	row := Row{File: "rocket.jpg", Metadata: Metadata{Title: "Rocket launch at dusk", Keywords: benchKeywords()[:49], Categories: []string{"20"}}}
	for b.Loop() {
		w.Write(row)
	}
}

func BenchmarkDHash(b *testing.B) {
	img := decodeSample(b, "rocket.jpg")
	for b.Loop() {
		DHash(img)
	}
}
