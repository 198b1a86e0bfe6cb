package vector_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/picfre/picfre/internal/vector"
)

func ExampleRasterize() {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 200">
	  <rect width="150" height="200" fill="red"/>
	</svg>`
	img, err := vector.Rasterize(context.Background(), []byte(svg), 600, vector.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, g, b, _ := img.At(10, 10).RGBA()
	fmt.Println(img.Bounds().Dx(), img.Bounds().Dy(), r>>8, g>>8, b>>8)

	_, err = vector.Rasterize(context.Background(), []byte(`<svg viewBox="0 0 9 9"><defs><g id="a"><use href="#a"/></g></defs></svg>`), 600, vector.Limits{})
	fmt.Println(errors.Is(err, vector.ErrUnsupported))
	// Output:
	// 600 400 255 0 0
	// true
}

func ExampleFindPreview() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "logo.eps"), []byte("%!PS-Adobe-3.0 EPSF-3.0\n"), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "logo.JPG"), []byte{0xFF, 0xD8, 0xFF}, 0o600)

	preview, ok := vector.FindPreview(filepath.Join(dir, "logo.eps"))
	fmt.Println(filepath.Base(preview), ok)
	_, ok = vector.FindPreview(filepath.Join(dir, "other.ai"))
	fmt.Println(ok)
	// Output:
	// logo.JPG true
	// false
}
