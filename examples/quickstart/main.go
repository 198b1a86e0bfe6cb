package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/provider/local"
)

func main() {
	pl := picfre.New(local.New(local.Options{}), picfre.Config{})
	for _, path := range os.Args[1:] {
		res, err := pl.Tag(context.Background(), picfre.File(path), picfre.Options{})
		if err != nil {
			log.Printf("%s: %v", path, err)
			continue
		}
		fmt.Printf("%s\n  title:    %s\n  keywords: %s\n", path, res.Title, strings.Join(res.Keywords, ", "))
	}
}
