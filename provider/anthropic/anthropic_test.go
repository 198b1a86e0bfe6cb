package anthropic_test

import (
	"testing"

	"github.com/picfre/picfre/internal/wiretest"
	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/anthropic"
	"github.com/picfre/picfre/provider/providertest"
)

func newProvider(s *wiretest.Server) (provider.Provider, error) {
	return anthropic.New(anthropic.Options{APIKey: s.Secret(), BaseURL: s.BaseURL()})
}

func TestConformance(t *testing.T) {
	providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
		return wiretest.NewHarness(t, wiretest.Anthropic, newProvider)
	})
}
