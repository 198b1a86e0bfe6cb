package picfre_test

import (
	"context"
	"sync"
	"testing"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/provider/local"
)

// keepRequests wraps a provider and keeps every request it is sent; its
// Capabilities are the wrapped provider's.
type keepRequests struct {
	provider.Provider
	mu   sync.Mutex
	reqs []*provider.Request
}

func (k *keepRequests) Generate(ctx context.Context, req *provider.Request) (*provider.Response, error) {
	k.mu.Lock()
	k.reqs = append(k.reqs, req)
	k.mu.Unlock()
	return k.Provider.Generate(ctx, req)
}

// TestPreparedPixelsOnlyForPixelsProviders: the image part carries the
// prepared pixels (Part.Image, of the part's Width×Height) for a provider
// declaring Capabilities.Pixels, such as local, and nil for one that does
// not; Data is set either way.
func TestPreparedPixelsOnlyForPixelsProviders(t *testing.T) {
	for _, c := range []struct {
		name   string
		p      provider.Provider
		pixels bool
	}{
		{"local", local.New(local.Options{}), true},
		{"fake with Pixels", fake.New(fake.Options{Capabilities: provider.Capabilities{Pixels: true}}), true},
		{"fake", fake.New(fake.Options{}), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := &keepRequests{Provider: c.p}
			pl := picfre.New(k, picfre.Config{})
			if _, err := pl.Tag(t.Context(), picfre.File("testdata/samples/coffee.png"), picfre.Options{}); err != nil {
				t.Fatal(err)
			}
			if len(k.reqs) != 1 || len(k.reqs[0].Parts) != 1 {
				t.Fatalf("requests %+v", k.reqs)
			}
			part := k.reqs[0].Parts[0]
			if len(part.Data) == 0 || part.MIMEType != "image/jpeg" || part.Width == 0 || part.Height == 0 {
				t.Fatalf("image part %s %d bytes %d×%d", part.MIMEType, len(part.Data), part.Width, part.Height)
			}
			if !c.pixels {
				if part.Image != nil {
					t.Fatalf("Part.Image set for a provider that does not declare Pixels")
				}
				return
			}
			if part.Image == nil {
				t.Fatal("Part.Image is nil for a provider declaring Pixels")
			}
			if b := part.Image.Bounds(); b.Dx() != part.Width || b.Dy() != part.Height {
				t.Errorf("Part.Image is %d×%d, part says %d×%d", b.Dx(), b.Dy(), part.Width, part.Height)
			}
		})
	}
}
