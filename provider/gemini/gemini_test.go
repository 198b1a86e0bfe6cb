package gemini_test

import (
	"testing"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/gemini"
	"github.com/picfre/picfre/provider/providertest"
)

func newProvider(s *wiretest.Server) (provider.Provider, error) {
	return gemini.New(gemini.Options{APIKey: s.Secret(), BaseURL: s.BaseURL()})
}

func TestConformance(t *testing.T) {
	providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
		return wiretest.NewHarness(t, wiretest.Gemini, newProvider)
	})
}
