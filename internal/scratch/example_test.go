package scratch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/picfre/picfre/internal/scratch"
)

func ExampleRoot_Dir() {
	parent, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(parent)
	root := scratch.New(parent)

	dir, cleanup, err := root.Dir(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = os.WriteFile(filepath.Join(dir, "frame.jpg"), []byte("..."), 0o600)
	fmt.Println(strings.HasPrefix(filepath.Base(dir), scratch.Prefix))
	cleanup()
	_, err = os.Stat(dir)
	fmt.Println(os.IsNotExist(err))
	// Output:
	// true
	// true
}

func ExampleRoot_CleanStale() {
	parent, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(parent)
	// A folder left by a process that no longer runs (PID 2^22+1 is above
	// Linux's largest PID).
	_ = os.Mkdir(filepath.Join(parent, scratch.Prefix+"4194305-abc"), 0o700)

	n, err := scratch.New(parent).CleanStale(context.Background(), 24*time.Hour)
	fmt.Println(n, err)
	// Output: 1 <nil>
}
