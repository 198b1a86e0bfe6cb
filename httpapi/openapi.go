package httpapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"

	"github.com/picfre/picfre/errcode"
)

// The OpenAPI document is assembled from base.json (info, security, the
// shared Error schema and responses) and one fragment per group of
// endpoints, each {"paths":{...},"components":{"schemas":{...}}}.
//
//go:embed openapi/*.json
var openapiFS embed.FS

// ErrDocument is returned by New when the embedded OpenAPI fragments do
// not merge into one document (a path or a schema named twice, a
// fragment that is not JSON). It is a build defect, never a client's.
var ErrDocument = errcode.New(errcode.Internal, "httpapi: the OpenAPI fragments do not merge")

// OpenAPI returns the API's OpenAPI 3.1 document, as GET /v1/openapi.json
// serves it: indented JSON, the same bytes on every call. It returns nil
// only if the embedded fragments do not merge, which New reports as
// ErrDocument, so that a Handler never serves a broken document.
func OpenAPI() []byte {
	doc, err := buildOpenAPI()
	if err != nil {
		return nil
	}
	return doc
}

// buildOpenAPI merges base.json and the fragments, in file-name order,
// into one document. Every path and every schema may be defined once.
func buildOpenAPI() ([]byte, error) {
	base, err := readFragment("openapi/base.json")
	if err != nil {
		return nil, err
	}
	paths, _ := base["paths"].(map[string]any)
	if paths == nil {
		paths = map[string]any{}
		base["paths"] = paths
	}
	components, _ := base["components"].(map[string]any)
	if components == nil {
		return nil, fmt.Errorf("%w: base.json has no components", ErrDocument)
	}
	schemas, _ := components["schemas"].(map[string]any)
	if schemas == nil {
		return nil, fmt.Errorf("%w: base.json has no schemas", ErrDocument)
	}
	names, err := fs.Glob(openapiFS, "openapi/*.json")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDocument, err)
	}
	slices.Sort(names)
	for _, name := range names {
		if name == "openapi/base.json" {
			continue
		}
		frag, err := readFragment(name)
		if err != nil {
			return nil, err
		}
		for key := range frag {
			if key != "paths" && key != "components" {
				return nil, fmt.Errorf("%w: %s has a top-level %q", ErrDocument, name, key)
			}
		}
		fp, _ := frag["paths"].(map[string]any)
		for p, item := range fp {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("%w: path %s defined twice (%s)", ErrDocument, p, name)
			}
			paths[p] = item
		}
		fc, _ := frag["components"].(map[string]any)
		for key := range fc {
			if key != "schemas" {
				return nil, fmt.Errorf("%w: %s has components.%s (only schemas)", ErrDocument, name, key)
			}
		}
		fs, _ := fc["schemas"].(map[string]any)
		for s, schema := range fs {
			if _, dup := schemas[s]; dup {
				return nil, fmt.Errorf("%w: schema %s defined twice (%s)", ErrDocument, s, name)
			}
			schemas[s] = schema
		}
	}
	// encoding/json writes map keys sorted: the same bytes every time.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(base); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDocument, err)
	}
	return buf.Bytes(), nil
}

func readFragment(name string) (map[string]any, error) {
	b, err := openapiFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDocument, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: %s is not a JSON object", ErrDocument, name)
	}
	return m, nil
}

// openAPI serves the document.
func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(h.doc)
}
