package stock_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"strings"

	"github.com/picfre/picfre/stock"
)

func ExampleLookup() {
	p, err := stock.Lookup("Adobe Stock")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Name, p.TitleMax, p.KeywordsMax, p.AI)
	fmt.Println(strings.Join(p.CSV.Headers(), ","))
	c, _ := p.Category("people")
	fmt.Println(c.Code, c.Name)
	// Output:
	// adobe 70 49 accepted
	// Filename,Title,Keywords,Category,Releases
	// 13 People
}

func ExampleNormalize() {
	ss, _ := stock.Lookup("shutterstock")
	m, problems := stock.Normalize(stock.Metadata{
		Title:      "Café in Zürich, shot on Canon EOS 5D at f/2.8",
		Keywords:   []string{"crème brûlée", "Café", "cafe", "ChatGPT", "50mm", "dessert, sweet"},
		Categories: []string{"food & drink"},
	}, ss, stock.Rules{Required: []string{"Zürich"}})
	fmt.Printf("%q\n%q\n%q\n", m.Title, m.Keywords, m.Categories)
	for _, p := range stock.Unfixed(problems) {
		fmt.Println(p)
	}
	// Output:
	// "Cafe in Zurich"
	// ["Zurich" "creme brulee" "Cafe" "dessert" "sweet"]
	// ["Food and drink"]
	// keywords: too_few_keywords (unfixed): 5 of at least 7
}

func ExampleNormalizeKeywords() {
	kw := stock.NormalizeKeywords(
		[]string{"Wedding", " bride ", "wedding", "AI generated", "https://example.com", "ring; cake"},
		stock.Rules{Required: []string{"love"}, Excluded: []string{"cake"}, MaxKeywords: 4},
	)
	fmt.Printf("%q\n", kw)
	// Output: ["love" "Wedding" "bride" "ring"]
}

func ExamplePromptGuidance() {
	p, _ := stock.Lookup("envato")
	fmt.Println(stock.PromptGuidance(p, "en"))
	// Output:
	// Write the title, description and keywords in English. The title is a literal, natural phrase of at most 100 characters. Give at most 50 keywords, most important first, each only once. Write keywords in lower case. Do not use these characters: !#$%()*<=>?@{}[]^~ Do not mention brand names, logos and trademarks, names of real people, camera and lens data (make, model, f-number, ISO, focal length), URLs, e-mail addresses and file names, the name of the AI tool or model.
}

func ExampleNewCSVWriter() {
	adobe, _ := stock.Lookup("adobe")
	w, err := stock.NewCSVWriter(os.Stdout, adobe)
	if err != nil {
		panic(err)
	}
	rows := []stock.Row{
		{File: "rocket.jpg", Metadata: stock.Metadata{Title: "Rocket launch at dusk", Keywords: []string{"rocket", "launch", "dusk"}, Categories: []string{"20"}}},
		// A hostile file name cannot start a formula or break the row.
		{File: "=HYPERLINK(\"http://x\")\n.jpg", Metadata: stock.Metadata{Title: "x", Keywords: []string{"x"}}},
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			panic(err)
		}
	}
	// Output:
	// Filename,Title,Keywords,Category,Releases
	// rocket.jpg,Rocket launch at dusk,"rocket, launch, dusk",20,
	// "'=HYPERLINK(""http://x"") .jpg",x,x,,
}

func ExampleNewSplitWriter() {
	adobe, _ := stock.Lookup("adobe")
	var parts []*bytes.Buffer
	sw, _ := stock.NewSplitWriter(adobe, func(part int) (io.WriteCloser, error) {
		b := new(bytes.Buffer)
		parts = append(parts, b)
		return nopCloser{b}, nil // in a real program: os.Create(fmt.Sprintf("adobe-%d.csv", part))
	})
	for i := range 12000 {
		sw.Write(stock.Row{File: fmt.Sprintf("%05d.jpg", i), Metadata: stock.Metadata{Title: "t", Keywords: []string{"k"}}})
	}
	sw.Close()
	fmt.Println(len(parts), "files")
	// Output: 3 files
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func ExampleWriteJPEG() {
	var src bytes.Buffer
	jpeg.Encode(&src, image.NewGray(image.Rect(0, 0, 16, 16)), nil)

	out, err := stock.WriteJPEG(src.Bytes(), stock.Metadata{
		Title:       "Café in Zürich",
		Description: "A cup of coffee on a marble table.",
		Keywords:    []string{"café", "coffee", "Zürich"},
	}, stock.JPEGOptions{})
	if err != nil {
		panic(err)
	}
	m, _ := stock.ReadJPEG(out)
	fmt.Printf("%q %q\n", m.Title, m.Keywords)
	// The compressed image data is untouched: the output ends with the
	// input's bytes from the scan on.
	sos := bytes.Index(src.Bytes(), []byte{0xFF, 0xDA})
	fmt.Println(bytes.HasSuffix(out, src.Bytes()[sos:]))
	// Output:
	// "Café in Zürich" ["café" "coffee" "Zürich"]
	// true
}

func ExampleWriteSidecar() {
	var b bytes.Buffer
	stock.WriteSidecar(&b, stock.Metadata{Title: "Drone shot of a coast", Keywords: []string{"coast", "aerial"}})
	m, _ := stock.ReadXMP(b.Bytes())
	fmt.Printf("%q %q\n", m.Title, m.Keywords)
	// Output: "Drone shot of a coast" ["coast" "aerial"]
}

func ExampleGroupSimilar() {
	hashes := []uint64{0xF0F0F0F0F0F0F0F0, 0x0F0F0F0F0F0F0F0F, 0xF0F0F0F0F0F0F0F1}
	groups := stock.GroupSimilar(hashes, 10)
	fmt.Println(groups)
	titles := stock.DistinctTitles([]string{"Rocket launch", "Rocket launch"}, [][]string{nil, {"at dusk"}}, 70)
	fmt.Printf("%q\n", titles)
	fmt.Println(stock.RotateKeywords([]string{"rocket", "launch", "space", "smoke", "sky"}, 1, 3))
	// Output:
	// [[0 2] [1]]
	// ["Rocket launch" "Rocket launch at dusk"]
	// [launch space rocket sky smoke]
}
