package prompt

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/picfre/picfre/provider"
)

// Analysis is the structured reverse prompt a provider returns for the
// prompt task: what a text-to-image generator needs to recreate an image,
// field by field, so that it can be rendered in each generator's own
// dialect. Empty fields are allowed (a provider may not know the lens);
// Prompt is a complete natural-language prompt on its own, so callers
// that want one string can ignore the rest.
type Analysis struct {
	// Prompt is a complete prompt in plain language.
	Prompt string `json:"prompt"`
	// Subject is the main subject: "a red vintage bicycle".
	Subject string `json:"subject"`
	// Setting is where it is: "against a whitewashed wall in a narrow street".
	Setting string `json:"setting"`
	// Medium is what kind of picture it is: "photograph", "digital
	// illustration", "3D render", "watercolor painting", "vector graphic".
	Medium string `json:"medium"`
	// Style is the visual style: "minimalist, editorial".
	Style string `json:"style"`
	// Lighting: "soft golden-hour side light".
	Lighting string `json:"lighting"`
	// Composition: "centered, negative space on the left, low angle".
	Composition string `json:"composition"`
	// Camera: "full-frame DSLR, eye level" (photographs only).
	Camera string `json:"camera"`
	// Lens: "85mm, f/1.8, shallow depth of field" (photographs only).
	Lens string `json:"lens"`
	// Palette: "warm pastel tones of peach and teal".
	Palette string `json:"palette"`
	// Mood: "calm, nostalgic".
	Mood string `json:"mood"`
	// Text is lettering visible in the image, verbatim, or "".
	Text string `json:"text"`
	// Negative lists what the image clearly does not have and a generator
	// tends to add: "people", "text", "blur".
	Negative []string `json:"negative"`
}

// analysisFields are the schema's string properties, in the order a
// model should think about them.
func analysisFields() []string {
	return []string{"subject", "setting", "medium", "style", "lighting", "composition",
		"camera", "lens", "palette", "mood", "text", "prompt"}
}

// AnalysisGuidance is the instruction text that goes with AnalysisSchema:
// it tells the model what each field holds. Pass it as the guidance of
// Instructions for the prompt task (or append it to the instructions).
const AnalysisGuidance = "Fill every field of the schema: subject (the main subject, concrete and specific), setting (place and background), " +
	"medium (photograph, digital illustration, 3D render, painting, vector graphic, ...), style, lighting, composition (framing, angle, where the subject sits, negative space), " +
	"camera and lens (body type, focal length, aperture, depth of field; empty strings unless it is a photograph), palette (the main colours), mood, " +
	"text (lettering visible in the image, verbatim, or an empty string), negative (a few things a generator would wrongly add, such as people, text or blur; may be empty), " +
	"and prompt (one complete prompt in plain language that combines all of them). Use short phrases, not sentences, in every field but prompt."

// analysisObject is the JSON Schema object of one Analysis, in strict
// form.
func analysisObject() object {
	props := map[string]any{"negative": stringList()}
	for _, f := range analysisFields() {
		props[f] = str
	}
	return object{Type: "object", Required: append(analysisFields(), "negative"), Properties: props}
}

// AnalysisSchema is the JSON Schema of the structured prompt-task answer
// for s: one Analysis, or {"items": [...]} of them when s.Items > 1. It
// is a superset of what Schema gives for the prompt task (it still has
// "prompt"), in the same strict subset. The pipeline sends it, with
// AnalysisGuidance, for provider.TaskPrompt.
func AnalysisSchema(s provider.Spec) json.RawMessage {
	var v any = analysisObject()
	if s.Items > 1 {
		v = object{Type: "object", Required: []string{provider.ItemsKey}, Properties: map[string]any{
			provider.ItemsKey: map[string]any{"type": "array", "items": analysisObject()},
		}}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // static shapes always marshal
	}
	return b
}

// ParseAnalysis decodes one item's answer. Missing fields are left empty,
// so the bare {"prompt": "..."} of an older provider still parses; fields
// of the wrong type are an error.
func ParseAnalysis(raw json.RawMessage) (Analysis, error) {
	var a Analysis
	if err := json.Unmarshal(raw, &a); err != nil {
		return Analysis{}, fmt.Errorf("prompt: the answer is not an analysis object")
	}
	return a, nil
}

// Generator names a text-to-image generator whose prompt dialect Render
// writes.
type Generator string

// The generators Render supports.
const (
	Midjourney Generator = "midjourney"
	SD         Generator = "sd"   // Stable Diffusion 1.x/2.x
	SDXL       Generator = "sdxl" // Stable Diffusion XL and later
	Flux       Generator = "flux"
	DALLE      Generator = "dalle" // DALL·E 3 and GPT-image
	Ideogram   Generator = "ideogram"
)

// Generators lists the canonical names, for help texts.
func Generators() []Generator { return []Generator{Midjourney, SD, SDXL, Flux, DALLE, Ideogram} }

// ParseGenerator maps a user's generator name to a Generator. It ignores
// case, spaces, dots, dashes and underscores, and knows common aliases:
// mj; stable-diffusion, sd15, sd2; stable-diffusion-xl, sd3; flux.1,
// flux-dev, flux-pro, flux-schnell; dall-e, dall-e-3, gpt-image,
// gpt-image-1, openai.
func ParseGenerator(name string) (Generator, error) {
	key := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '_', '·':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(name)))
	switch key {
	case "midjourney", "mj", "midjourneyv6", "midjourneyv7":
		return Midjourney, nil
	case "sd", "stablediffusion", "sd1", "sd15", "sd2", "sd21", "stablediffusion15":
		return SD, nil
	case "sdxl", "stablediffusionxl", "sd3", "sd35", "stablediffusion3":
		return SDXL, nil
	case "flux", "flux1", "fluxdev", "fluxpro", "fluxschnell", "flux1dev", "flux1pro", "flux1schnell":
		return Flux, nil
	case "dalle", "dalle3", "dalle2", "gptimage", "gptimage1", "openai", "chatgpt":
		return DALLE, nil
	case "ideogram", "ideogramai":
		return Ideogram, nil
	}
	names := make([]string, 0, 6)
	for _, g := range Generators() {
		names = append(names, string(g))
	}
	return "", fmt.Errorf("prompt: unknown generator %q; known: %s", clip(name, 40), strings.Join(names, ", "))
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Rendered is a prompt written for one generator.
type Rendered struct {
	Generator Generator `json:"generator"`
	// Prompt is the text to paste into the generator. For Midjourney it
	// includes the parameters (ending with --ar W:H).
	Prompt string `json:"prompt"`
	// Negative is the negative prompt for generators that take one
	// (Stable Diffusion, Ideogram), else "".
	Negative string `json:"negative,omitempty"`
	// Parameters are generator settings that match the image: aspect
	// ratio, and output size where the generator wants pixels.
	Parameters map[string]string `json:"parameters,omitempty"`
}

// Render writes a in the dialect of gen for an image of width×height
// pixels — the original image's size after its orientation is applied,
// which decides the aspect ratio (see AspectRatio). It fails only for an
// unknown generator or an analysis with no text at all. Render is a pure
// function, safe for concurrent use.
func Render(gen Generator, a Analysis, width, height int) (Rendered, error) {
	a = tidy(a)
	if a.Prompt == "" && a.Subject == "" && a.Style == "" && a.Medium == "" {
		return Rendered{}, fmt.Errorf("prompt: the analysis is empty")
	}
	aw, ah := AspectRatio(width, height)
	ratio := strconv.Itoa(aw) + ":" + strconv.Itoa(ah)
	r := Rendered{Generator: gen, Parameters: map[string]string{"aspect_ratio": ratio}}
	switch gen {
	case Midjourney:
		r.Prompt = midjourney(a, ratio)
	case SD, SDXL:
		r.Prompt, r.Negative = stableDiffusion(a, gen == SDXL)
		base := 512
		if gen == SDXL {
			base = 1024
		}
		w, h := pixelSize(aw, ah, base)
		r.Parameters["width"], r.Parameters["height"] = strconv.Itoa(w), strconv.Itoa(h)
	case Flux:
		r.Prompt = paragraph(a, false)
	case DALLE:
		r.Prompt = paragraph(a, false)
		if len(a.Negative) > 0 {
			r.Prompt += " Avoid " + andList(a.Negative) + "."
		}
		switch {
		case aw > ah:
			r.Parameters["size"] = "1536x1024"
		case aw < ah:
			r.Parameters["size"] = "1024x1536"
		default:
			r.Parameters["size"] = "1024x1024"
		}
	case Ideogram:
		r.Prompt = paragraph(a, true)
		r.Negative = strings.Join(a.Negative, ", ")
		r.Parameters["aspect_ratio"] = strconv.Itoa(aw) + "x" + strconv.Itoa(ah)
	default:
		return Rendered{}, fmt.Errorf("prompt: unknown generator %q", clip(string(gen), 40))
	}
	return r, nil
}

// tidy trims every field, collapses white space and drops trailing
// full stops from phrases.
func tidy(a Analysis) Analysis {
	clean := func(s string) string { return strings.TrimRight(strings.Join(strings.Fields(s), " "), ".;, ") }
	a.Prompt = strings.Join(strings.Fields(a.Prompt), " ")
	for _, p := range []*string{&a.Subject, &a.Setting, &a.Medium, &a.Style, &a.Lighting, &a.Composition,
		&a.Camera, &a.Lens, &a.Palette, &a.Mood} {
		*p = clean(*p)
	}
	a.Text = strings.TrimSpace(a.Text)
	var neg []string
	for _, n := range a.Negative {
		if n = clean(n); n != "" && !slices.Contains(neg, n) {
			neg = append(neg, n)
		}
	}
	a.Negative = neg
	return a
}

// isPhoto reports a photographic medium.
func (a Analysis) isPhoto() bool {
	m := strings.ToLower(a.Medium + " " + a.Style)
	return strings.Contains(m, "photo") && !strings.Contains(m, "illustrat") && !strings.Contains(m, "render")
}

// phrases returns the non-empty descriptive fields in the order
// generators weigh them, without duplicates.
func (a Analysis) phrases(withCamera bool) []string {
	list := []string{a.Subject, a.Setting, a.Medium, a.Style, a.Lighting, a.Composition}
	if withCamera {
		list = append(list, a.Camera, a.Lens)
	}
	list = append(list, a.Palette, a.Mood)
	var out []string
	for _, p := range list {
		if p != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, p) }) {
			out = append(out, p)
		}
	}
	return out
}

// structured reports whether the analysis has more than the prompt.
func (a Analysis) structured() bool { return a.Subject != "" || a.Medium != "" || a.Style != "" }

// midjourney writes comma-separated phrases, then the parameters:
// --no for negatives, --style raw for photographs (less of Midjourney's
// own stylisation), --v 7, and --ar last.
func midjourney(a Analysis, ratio string) string {
	body := a.Prompt
	if a.structured() {
		body = strings.Join(a.phrases(a.isPhoto()), ", ")
	}
	if a.Text != "" {
		body += `, with the text "` + a.Text + `"`
	}
	body = strings.TrimRight(body, ". ")
	var b strings.Builder
	b.WriteString(body)
	if len(a.Negative) > 0 {
		b.WriteString(" --no " + strings.Join(a.Negative, ", "))
	}
	if a.isPhoto() {
		b.WriteString(" --style raw")
	}
	b.WriteString(" --v 7 --ar " + ratio)
	return b.String()
}

// sdNegative is the usual defects list of Stable Diffusion negative
// prompts.
func sdNegative() []string {
	return []string{"lowres", "blurry", "worst quality", "low quality", "jpeg artifacts",
		"watermark", "signature", "text", "logo", "deformed", "disfigured", "bad anatomy", "extra limbs", "cropped", "out of frame"}
}

// stableDiffusion writes tag-style prompts: subject first, then the other
// phrases, then quality tags; SD 1.x/2.x get the heavier tag set.
func stableDiffusion(a Analysis, xl bool) (pos, neg string) {
	tags := a.phrases(a.isPhoto())
	if !a.structured() && a.Prompt != "" {
		tags = []string{strings.TrimRight(a.Prompt, ". ")}
	}
	if a.Text != "" {
		tags = append(tags, `text "`+a.Text+`"`)
	}
	switch {
	case a.isPhoto() && xl:
		tags = append(tags, "photorealistic", "high detail", "sharp focus")
	case a.isPhoto():
		tags = append(tags, "RAW photo", "photorealistic", "masterpiece", "best quality", "highly detailed", "sharp focus")
	case xl:
		tags = append(tags, "high quality", "detailed")
	default:
		tags = append(tags, "masterpiece", "best quality", "highly detailed")
	}
	negs := slices.Clone(a.Negative)
	for _, n := range sdNegative() {
		if n == "text" && a.Text != "" {
			continue // the image has lettering
		}
		if !slices.Contains(negs, n) {
			negs = append(negs, n)
		}
	}
	if a.isPhoto() {
		negs = append(negs, "illustration", "painting", "cartoon", "3d render")
	}
	return strings.Join(tags, ", "), strings.Join(negs, ", ")
}

// paragraph writes natural language for Flux, DALL·E and Ideogram.
// Ideogram (quoteText) is told the exact lettering; the others are not,
// so as not to invite garbled text.
func paragraph(a Analysis, quoteText bool) string {
	if !a.structured() {
		p := a.Prompt
		if quoteText && a.Text != "" {
			p = strings.TrimRight(p, ". ") + `, with the text "` + a.Text + `".`
		}
		return p
	}
	var s []string
	head := a.Medium
	if head == "" {
		head = "image"
	}
	first := article(head) + " " + head
	if a.Subject != "" {
		first += " of " + a.Subject
	}
	if a.Setting != "" {
		first += ", " + a.Setting
	}
	s = append(s, capital(first)+".")
	if quoteText && a.Text != "" {
		s = append(s, `It shows the text "`+a.Text+`".`)
	}
	if a.Style != "" {
		s = append(s, capital(a.Style)+" style.")
	}
	if a.Lighting != "" {
		s = append(s, capital(a.Lighting)+".")
	}
	if a.Composition != "" {
		s = append(s, capital(a.Composition)+".")
	}
	if a.isPhoto() {
		switch {
		case a.Camera != "" && a.Lens != "":
			s = append(s, "Shot with "+a.Camera+", "+a.Lens+".")
		case a.Camera != "":
			s = append(s, "Shot with "+a.Camera+".")
		case a.Lens != "":
			s = append(s, capital(a.Lens)+".")
		}
	}
	if a.Palette != "" {
		s = append(s, "Colour palette: "+a.Palette+".")
	}
	if a.Mood != "" {
		s = append(s, capital(a.Mood)+" mood.")
	}
	return strings.Join(s, " ")
}

func article(word string) string {
	if word == "" {
		return "a"
	}
	switch strings.ToLower(word[:1]) {
	case "a", "e", "i", "o", "u":
		return "An"
	}
	return "A"
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func andList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// commonRatios are the aspect ratios cameras, screens and generators
// use; near ratios snap to them.
func commonRatios() [][2]int {
	return [][2]int{{1, 1}, {5, 4}, {4, 3}, {3, 2}, {8, 5}, {5, 3}, {16, 9}, {2, 1}, {21, 9}, {3, 1}, {4, 1}}
}

// Aspect-ratio rule parameters.
const (
	maxExactTerm  = 32   // a reduced ratio with both terms at most this is kept exactly
	snapTolerance = 0.02 // relative difference within which a common ratio is used
)

// AspectRatio returns the aspect ratio of a width×height image as small
// whole numbers, by this rule:
//
//  1. Reduce by the greatest common divisor; if both terms are at most
//     32, that is the ratio (1920×1080 → 16:9, 1080×1350 → 4:5).
//  2. Otherwise, if a common ratio (1:1, 5:4, 4:3, 3:2, 8:5, 5:3, 16:9,
//     2:1, 21:9, 3:1, 4:1, either way round) is within 2 %, use it
//     (1000×667 → 3:2, 1366×768 → 16:9).
//  3. Otherwise use the closest ratio whose terms are both at most 32.
//
// A non-positive size gives 1:1.
func AspectRatio(width, height int) (int, int) {
	if width <= 0 || height <= 0 {
		return 1, 1
	}
	g := gcd(width, height)
	w, h := width/g, height/g
	if w <= maxExactTerm && h <= maxExactTerm {
		return w, h
	}
	target := float64(width) / float64(height)
	dist := func(p, q int) float64 { return math.Abs(math.Log(float64(p) / float64(q) / target)) }
	bestP, bestQ, best := 1, 1, math.Inf(1)
	for _, c := range commonRatios() {
		for _, pq := range [][2]int{c, {c[1], c[0]}} {
			if d := dist(pq[0], pq[1]); d < best {
				bestP, bestQ, best = pq[0], pq[1], d
			}
		}
	}
	if best <= math.Log1p(snapTolerance) {
		return bestP, bestQ
	}
	best = math.Inf(1)
	for q := 1; q <= maxExactTerm; q++ {
		for p := 1; p <= maxExactTerm; p++ {
			if gcd(p, q) != 1 {
				continue
			}
			if d := dist(p, q); d < best {
				bestP, bestQ, best = p, q, d
			}
		}
	}
	return bestP, bestQ
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// pixelSize returns a width and height in multiples of 64 with about the
// given ratio, as Stable Diffusion models expect: SD 1.x/2.x (base 512)
// keep the short side at 512; SDXL (base 1024) keeps the area at most
// 1024×1024, like its training buckets (3:2 → 1216×832).
func pixelSize(aw, ah, base int) (int, int) {
	r := float64(aw) / float64(ah)
	round := func(v float64) int { return max(64, int(math.Round(v/64))*64) }
	if base < 1024 {
		if r >= 1 {
			return round(float64(base) * r), base
		}
		return base, round(float64(base) / r)
	}
	w := math.Sqrt(float64(base*base) * r)
	iw, ih := round(w), round(w/r)
	if iw*ih > base*base {
		if iw >= ih {
			iw -= 64
		} else {
			ih -= 64
		}
	}
	return iw, ih
}
