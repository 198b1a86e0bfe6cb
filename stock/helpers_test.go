package stock

import (
	"os"
	"os/exec"
	"testing"
)

// needTool returns the path of an external tool, skipping the test when
// it is absent on a developer's machine and failing it when CI=true.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (apt-get install -y libimage-exiftool-perl)", name)
		}
		t.Skipf("%s not installed; skipping (apt-get install -y libimage-exiftool-perl)", name)
	}
	return p
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/samples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
