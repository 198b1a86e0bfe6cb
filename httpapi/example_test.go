package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/jobs"
)

// The API over a job service that only submits and looks (its workers
// run elsewhere), served on the loopback, with one API token.
func ExampleNew() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "picfre-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	spool, err := blob.OpenBucket(ctx, "file://"+filepath.ToSlash(filepath.Join(dir, "spool"))+"?create_dir=true")
	if err != nil {
		panic(err)
	}
	defer spool.Close()
	svc, err := jobs.Open(ctx, "sqlite:"+filepath.Join(dir, "picfre.db"), jobs.Config{Spool: spool, Workers: -1})
	if err != nil {
		panic(err)
	}
	defer svc.Close(ctx)

	api, err := httpapi.New(httpapi.Config{
		Jobs: svc,
		Auth: httpapi.AuthenticatorFunc(func(r *http.Request) (string, error) {
			if r.Header.Get("Authorization") == "Bearer pfr_example" {
				return "acct_example", nil
			}
			return "", errcode.New(errcode.Unauthenticated, "no such token")
		}),
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()

	for _, token := range []string{"pfr_example", "pfr_wrong"} {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/jobs", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Printf("%d %s", res.StatusCode, body)
	}
	// Output:
	// 200 {"jobs":[]}
	// 401 {"error":{"code":"unauthenticated","message":"authentication required"}}
}
