package wiretest

import (
	"context"
	"testing"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/providertest"
)

// Harness adapts a Server and a driver constructor to
// providertest.Scripted, so that a driver's conformance test is a few
// lines:
//
//	providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
//		return wiretest.NewHarness(t, wiretest.OpenAI, func(s *wiretest.Server) (provider.Provider, error) {
//			return openai.New(openai.Options{APIKey: s.Secret(), BaseURL: s.BaseURL()})
//		})
//	})
type Harness struct {
	*Server
	make func(*Server) (provider.Provider, error)
}

var _ providertest.Scripted = (*Harness)(nil)

// NewHarness starts a server of kind for t and returns a harness that
// makes providers with mk.
func NewHarness(t *testing.T, kind Kind, mk func(*Server) (provider.Provider, error)) *Harness {
	return &Harness{Server: New(t, kind, Options{}), make: mk}
}

// MakeProvider implements providertest.Harness.
func (h *Harness) MakeProvider(context.Context) (provider.Provider, error) { return h.make(h.Server) }

// Close implements providertest.Harness; the server itself closes when
// the test ends.
func (h *Harness) Close() {}
