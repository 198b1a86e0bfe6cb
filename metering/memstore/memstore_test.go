package memstore_test

import (
	"testing"

	"github.com/picfre/picfre/metering/driver"
	"github.com/picfre/picfre/metering/memstore"
	"github.com/picfre/picfre/metering/meteringtest"
)

func TestConformance(t *testing.T) {
	meteringtest.RunConformanceTests(t, func(*testing.T) driver.Store { return memstore.New() })
}
