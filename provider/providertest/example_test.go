package providertest_test

import (
	"context"
	"testing"

	"github.com/picfre/picfre/provider"
	"github.com/picfre/picfre/provider/fake"
	"github.com/picfre/picfre/provider/providertest"
)

// harness makes the provider under test; a driver that talks to a server
// it controls would also implement providertest.Scripted.
type harness struct{}

func (harness) MakeProvider(context.Context) (provider.Provider, error) {
	return fake.New(fake.Options{}), nil
}

func (harness) Close() {}

// A driver's whole conformance test. Call it from a TestXxx function.
func Example() {
	testConformance := func(t *testing.T) {
		providertest.RunConformanceTests(t, func(*testing.T) providertest.Harness { return harness{} })
	}
	_ = testConformance
}
