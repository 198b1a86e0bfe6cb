package wiretest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	_ "image/gif" // image sizes for usage estimates
	_ "image/jpeg"
	_ "image/png"
	"strings"

	"github.com/picfre/picfre/provider"
)

var (
	subjects = []string{"meadow", "harbour", "skyline", "forest", "desert", "kitchen", "studio", "garden", "beach", "mountain", "street", "library", "rocket", "coffee", "galaxy", "texture"}
	moods    = []string{"calm", "vivid", "moody", "bright", "serene", "dramatic", "warm", "cool"}
	words    = []string{
		"nature", "outdoors", "background", "colour", "light", "daylight", "landscape", "travel",
		"scenic", "texture", "pattern", "detail", "closeup", "abstract", "design", "composition",
		"natural", "beauty", "peaceful", "vibrant", "summer", "autumn", "winter", "spring",
		"morning", "evening", "sunlight", "shadow", "horizon", "sky", "blue", "green",
		"red", "yellow", "orange", "purple", "white", "black", "brown", "grey",
		"urban", "rural", "modern", "vintage", "minimal", "simple", "clean", "fresh",
		"bright", "soft", "sharp", "wide", "space", "copy space", "nobody", "still life",
		"organic", "surface", "material", "scene", "view", "photo",
	}
)

// Answer returns a valid answer for r, built from the JSON Schema the
// request carries: every required property filled, arrays sized within
// their bounds (12 keywords where allowed), and, when the schema is an
// envelope {"items": [...]}, one entry per image of the request. Words are
// chosen by a hash of each image, so answers are deterministic and differ
// between images. Without a schema it answers a metadata object.
func Answer(r *Request) string {
	var schema map[string]any
	if len(r.Schema) > 0 {
		_ = json.Unmarshal(r.Schema, &schema)
	}
	if schema == nil {
		schema = map[string]any{"type": "object", "properties": map[string]any{
			"title": map[string]any{"type": "string"}, "description": map[string]any{"type": "string"},
			"keywords":   map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			"categories": map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		}}
	}
	g := &gen{images: r.Images()}
	v := g.value(schema, "", 0, 0)
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// maxArray bounds the arrays Answer builds, whatever the schema asks.
const maxArray = 100

// maxValues bounds the values one answer holds, against nested arrays.
const maxValues = 10000

type gen struct {
	images []Media
	values int
}

func (g *gen) seed(item int) uint64 {
	var data []byte
	if item < len(g.images) {
		data = g.images[item].Data
	}
	sum := sha256.Sum256(append([]byte(fmt.Sprint(item)), data...))
	return binary.BigEndian.Uint64(sum[:8])
}

func schemaType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return strings.ToLower(t)
	case []any:
		for _, x := range t {
			if str, ok := x.(string); ok && str != "null" {
				return strings.ToLower(str)
			}
		}
	}
	if _, ok := s["properties"]; ok {
		return "object"
	}
	if _, ok := s["items"]; ok {
		return "array"
	}
	return "string"
}

func intOf(v any, def int) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case string: // Gemini's OpenAPI schema writes integers as strings
		var i int
		if _, err := fmt.Sscan(n, &i); err == nil {
			return i
		}
	}
	return def
}

// value generates a value for schema s found under property name, for
// item (the image it describes) at index i of an array.
func (g *gen) value(s map[string]any, name string, item, i int) any {
	if g.values++; g.values > maxValues {
		return nil
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[int(g.seed(item)+uint64(i))%len(enum)]
	}
	switch schemaType(s) {
	case "object":
		out := map[string]any{}
		props, _ := s["properties"].(map[string]any)
		for k, sub := range props {
			if m, ok := sub.(map[string]any); ok {
				out[k] = g.value(m, k, item, 0)
			}
		}
		return out
	case "array":
		sub, _ := s["items"].(map[string]any)
		if sub == nil {
			sub = map[string]any{"type": "string"}
		}
		want := 1
		perItem := name == provider.ItemsKey && schemaType(sub) == "object"
		switch {
		case perItem:
			want = max(len(g.images), 1)
		case strings.Contains(name, "keyword") || strings.Contains(name, "tag"):
			want = 12
		}
		want = max(want, intOf(s["minItems"], 0))
		if mx := intOf(s["maxItems"], -1); mx >= 0 {
			want = min(want, mx)
		}
		want = min(max(want, 0), maxArray) // hostile bounds stay small
		arr := make([]any, 0, want)
		seen := map[string]bool{}
		for j := range want {
			it := item
			if perItem {
				it = j
			}
			v := g.value(sub, singular(name), it, j)
			if str, ok := v.(string); ok {
				for k := 0; seen[str] && k < 100; k++ {
					str = fmt.Sprintf("%s %d", v, k+2)
				}
				seen[str] = true
				v = str
			}
			arr = append(arr, v)
		}
		return arr
	case "integer", "number":
		return intOf(s["minimum"], 1)
	case "boolean":
		return false
	}
	return g.text(s, name, item, i)
}

func singular(name string) string {
	if name == provider.ItemsKey {
		return "item"
	}
	return strings.TrimSuffix(name, "s")
}

func (g *gen) text(s map[string]any, name string, item, i int) string {
	seed := g.seed(item)
	subject := subjects[seed%uint64(len(subjects))]
	mood := moods[(seed>>8)%uint64(len(moods))]
	var out string
	switch {
	case name == "title" || name == "headline":
		out = fmt.Sprintf("%s%s %s %04x", strings.ToUpper(mood[:1]), mood[1:], subject, seed>>48)
	case name == "description" || name == "caption":
		out = fmt.Sprintf("A %s view of a %s in natural light.", mood, subject)
	case name == "prompt":
		out = fmt.Sprintf("a %s %s, natural light, photographed with a 35mm lens, high detail", mood, subject)
	case name == "keyword" || name == "tag":
		switch i {
		case 0:
			out = subject
		case 1:
			out = mood
		default:
			out = words[(int(seed>>16)+i)%len(words)]
		}
	case name == "categorie" || name == "category":
		out = "Nature"
	case name == "language" || name == "lang":
		out = "en"
	default:
		out = fmt.Sprintf("%s %s", mood, subject)
	}
	if mx := intOf(s["maxLength"], 0); mx > 0 && len(out) > mx && mx < 1<<20 {
		out = out[:mx]
	}
	return out
}

// estimateUsage returns what the kind would bill for req and an answer.
func estimateUsage(kind Kind, req *Request, answer string) provider.Usage {
	var cost provider.ImageCost
	switch kind {
	case OpenAI:
		cost = provider.PatchCost{Multiplier: 1.62}
	case Gemini:
		cost = provider.GeminiCost{}
	default:
		cost = provider.AreaCost{}
	}
	in := len(req.Instructions)/4 + len(req.Schema)/8 + 7
	for _, t := range req.Texts {
		in += len(t)/4 + 1
	}
	for _, m := range req.Media {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(m.Data))
		if err != nil {
			in += 258
			continue
		}
		d := provider.DetailAuto
		if m.Detail == "low" || strings.HasSuffix(m.Detail, "LOW") || strings.HasSuffix(req.MediaResolution, "LOW") {
			d = provider.DetailLow
		}
		in += cost.Tokens(cfg.Width, cfg.Height, d)
	}
	return provider.Usage{InputTokens: int64(in), OutputTokens: int64(len(answer)/4 + 1)}
}
