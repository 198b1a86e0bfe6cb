package scratch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
