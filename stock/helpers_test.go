package stock

import (
	"os"
	"testing"
)

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/samples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
