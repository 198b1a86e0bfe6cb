package memstore_test

import (
	"testing"

	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/metering/meteringtest"
)

func TestConformance(t *testing.T) {
	meteringtest.RunConformanceTests(t, func(*testing.T) metering.Store { return memstore.New() })
}
