//go:build unix && !aix && !solaris

package scratch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/picfre/picfre/internal/scratch"
)

func ExampleRoot_CleanStale() {
	parent, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(parent)
	root := scratch.New(parent)

	// A folder in use: its lock is held until cleanup.
	live, cleanup, _ := root.Dir(context.Background())
	defer cleanup()
	// A folder whose owner died: nothing holds its lock.
	_ = os.Mkdir(filepath.Join(parent, scratch.Prefix+strings.Repeat("A", 26)), 0o700)

	n, err := root.CleanStale(context.Background(), 0)
	fmt.Println(n, err)
	_, err = os.Stat(live)
	fmt.Println(err == nil)
	// Output:
	// 1 <nil>
	// true
}
