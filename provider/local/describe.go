package local

import (
	"strings"
	"unicode/utf8"
)

// kind is the provider's one-word verdict on what sort of picture the
// measures describe. It never names a subject.
type kind int

const (
	kindImage    kind = iota // an ordinary picture
	kindSolid                // one flat colour
	kindGradient             // a smooth transition
	kindStars                // bright points on a dark ground
	kindTexture              // detail spread evenly over the frame
	kindPattern              // an even texture that repeats
	kindMinimal              // little detail, large calm areas
	kindCloseUp              // detail in the middle, calm around it
)

// traits are the verbal findings derived from an Analysis.
type traits struct {
	kind         kind
	dark, bright bool
	vivid, muted bool
	highContrast bool
	lowContrast  bool
	warm, cool   bool
	busy         bool
	colours      []string // named colours, chromatic ones first when the image has colour
}

// Thresholds for wording. See the Analysis field comments for the scales.
const (
	darkBelow        = 30.0
	brightAbove      = 68.0
	vividAbove       = 60.0
	mutedBelow       = 22.0
	highContrastOver = 27.0
	lowContrastUnder = 9.0
	warmOver         = 0.35
)

func (a *Analysis) traits() traits {
	t := traits{
		dark:         a.Brightness < darkBelow,
		bright:       a.Brightness > brightAbove && a.ShadowsClipped < 0.02,
		vivid:        !a.Monochrome && a.Colorfulness > vividAbove,
		muted:        !a.Monochrome && a.Colorfulness < mutedBelow && a.Brightness >= darkBelow && !a.StarField,
		highContrast: a.Contrast > highContrastOver,
		lowContrast:  a.Contrast < lowContrastUnder && !a.Solid,
		warm:         a.Warmth > warmOver,
		cool:         a.Warmth < -warmOver,
	}
	texture := a.Evenness > 0.75 && a.CalmShare == 0 && a.EdgeDensity > 0.12 && a.Detail > 3.5
	switch {
	case a.Solid:
		t.kind = kindSolid
	case a.Gradient:
		t.kind = kindGradient
	case a.StarField:
		t.kind = kindStars
	case texture && a.Pattern:
		t.kind = kindPattern
	case texture:
		t.kind = kindTexture
	case a.CentreFocus:
		t.kind = kindCloseUp
	case a.Detail < 2 && a.EdgeDensity < 0.05:
		t.kind = kindMinimal
	}
	t.busy = t.kind == kindImage && a.Detail > 6
	var chromatic, neutrals []string
	for _, c := range a.Colors {
		if neutral(c.Name) {
			neutrals = append(neutrals, c.Name)
		} else {
			chromatic = append(chromatic, c.Name)
		}
	}
	t.colours = append(chromatic, neutrals...)
	if a.Monochrome && a.Tint != "" {
		t.colours = []string{a.Tint}
	}
	return t
}

// mono reports neutral black and white.
func (a *Analysis) mono() bool { return a.Monochrome && a.Tint == "" }

// toneWord names a tinted monochrome: sepia for the browns and oranges.
func (a *Analysis) toneWord() string {
	switch a.Tint {
	case "":
		return "black and white"
	case brown, orange, beige, yellow, red:
		return "sepia"
	}
	return a.Tint + "-toned"
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

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// copyPhrase says where the copy space is, or "".
func (a *Analysis) copyPhrase() string {
	switch a.CopySpace {
	case "", "everywhere":
		return ""
	case "left", "right":
		return "on the " + a.CopySpace
	case "top", "bottom":
		return "at the " + a.CopySpace
	}
	return "in the " + a.CopySpace + " corner"
}

// noun is the title's head: what sort of picture, never what it shows.
func (t traits) noun(a *Analysis) string {
	switch t.kind {
	case kindSolid:
		return "solid color background"
	case kindGradient:
		return "gradient background"
	case kindStars:
		return "star field with scattered points of light"
	case kindPattern:
		return "abstract pattern texture"
	case kindTexture:
		return "abstract texture"
	case kindMinimal:
		return "minimal background"
	case kindCloseUp:
		return "close-up with blurred background"
	}
	if a.Sky {
		return "scene under a blue sky"
	}
	return "image"
}

// adjectives for title and description, strongest first.
func (t traits) adjectives(a *Analysis) []string {
	var adj []string
	switch {
	case t.dark:
		adj = append(adj, "dark")
	case t.bright:
		adj = append(adj, "bright")
	}
	switch {
	case a.Monochrome:
		adj = append(adj, a.toneWord())
	case t.vivid:
		adj = append(adj, "vivid")
	case t.muted:
		adj = append(adj, "muted")
	}
	return adj
}

// Title returns a plain title of at most maxLen characters (no limit if
// maxLen ≤ 0) describing the image's visual qualities, such as "Vivid blue
// and orange abstract texture with copy space on the left". Less important
// parts are dropped to fit; as a last resort the title is cut at a word.
func (a *Analysis) Title(maxLen int) string {
	t := a.traits()
	adj := t.adjectives(a)
	var cols []string
	if !a.mono() || t.kind == kindSolid {
		cols = t.colours[:min(2, len(t.colours))]
	}
	if t.kind == kindStars || (t.kind == kindImage && a.Sky) {
		cols = nil // the noun carries the colour
	}
	tail := ""
	switch {
	case a.copyPhrase() != "":
		tail = "with copy space " + a.copyPhrase()
	case t.warm && t.kind == kindImage:
		tail = "in warm tones"
	case t.cool && t.kind == kindImage:
		tail = "in cool tones"
	case t.busy:
		tail = "with rich detail"
	case t.highContrast && t.kind == kindImage:
		tail = "with strong contrast"
	case t.lowContrast && t.kind == kindImage:
		tail = "with soft contrast"
	}
	noun := t.noun(a)
	build := func(adj, cols []string, tail string) string {
		parts := append([]string(nil), adj...)
		if len(adj) == 2 {
			parts = []string{adj[0] + ",", adj[1]}
		}
		if len(cols) > 0 {
			parts = append(parts, strings.Join(cols, " and "))
		}
		parts = append(parts, noun)
		if tail != "" {
			parts = append(parts, tail)
		}
		return capitalise(strings.Join(parts, " "))
	}
	fits := func(s string) bool { return maxLen <= 0 || utf8.RuneCountInString(s) <= maxLen }
	candidates := []string{
		build(adj, cols, tail),
		build(adj, cols[:min(1, len(cols))], tail),
		build(adj[:min(1, len(adj))], cols[:min(1, len(cols))], tail),
		build(adj, cols, ""),
		build(adj[:min(1, len(adj))], cols[:min(1, len(cols))], ""),
		build(nil, nil, ""),
	}
	for _, c := range candidates {
		if fits(c) {
			return c
		}
	}
	return cut(candidates[len(candidates)-1], maxLen)
}

// cut shortens s to at most n runes, at a word boundary when there is one.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	r = r[:n]
	if i := strings.LastIndexByte(string(r), ' '); i > 0 {
		return strings.TrimRight(string(r)[:i], " ,")
	}
	return string(r)
}

func orientationWord(o string) string {
	switch o {
	case Landscape:
		return "horizontal"
	case Portrait:
		return "vertical"
	case Panoramic:
		return "panoramic"
	case VerticalPanoramic:
		return "tall vertical"
	}
	return "square"
}

// Description returns one or two plain sentences about the image's tone,
// colour and composition.
func (a *Analysis) Description() string {
	t := a.traits()
	var first strings.Builder
	first.WriteString("A ")
	if adj := t.adjectives(a); len(adj) > 0 {
		first.WriteString(strings.Join(adj, ", ") + " ")
	}
	first.WriteString(orientationWord(a.Orientation) + " ")
	switch t.kind {
	case kindSolid:
		first.WriteString("field of flat color")
	case kindGradient:
		first.WriteString("smooth gradient")
	default:
		first.WriteString("image")
	}
	if len(t.colours) > 0 {
		if a.mono() {
			first.WriteString(" in shades of " + andList(t.colours[:min(3, len(t.colours))]))
		} else {
			first.WriteString(" dominated by " + andList(t.colours[:min(3, len(t.colours))]))
		}
	}
	switch {
	case t.warm:
		first.WriteString(", in warm tones")
	case t.cool:
		first.WriteString(", in cool tones")
	}
	first.WriteString(".")

	var clauses []string
	switch t.kind {
	case kindStars:
		clauses = append(clauses, "many small bright points are scattered over a dark ground, as in a night sky")
	case kindPattern:
		clauses = append(clauses, "a repeating, even texture fills the whole frame")
	case kindTexture:
		clauses = append(clauses, "an even texture fills the whole frame")
	case kindMinimal:
		clauses = append(clauses, "the composition is minimal, with smooth areas and little detail")
	case kindCloseUp:
		clauses = append(clauses, "detail is concentrated in the centre against calm, soft surroundings")
	case kindImage:
		if t.busy {
			clauses = append(clauses, "the frame is full of fine detail")
		}
	}
	if a.Sky && t.kind != kindStars {
		clauses = append(clauses, "a calm blue area at the top suggests open sky")
	}
	switch {
	case t.highContrast:
		clauses = append(clauses, "contrast is strong")
	case t.lowContrast:
		clauses = append(clauses, "the light is soft and even")
	}
	if p := a.copyPhrase(); p != "" {
		clauses = append(clauses, "a large calm area "+p+" leaves room for text")
	}
	if a.Symmetric {
		clauses = append(clauses, "the layout is symmetrical")
	}
	if len(clauses) == 0 {
		return first.String()
	}
	return first.String() + " " + capitalise(andList(clauses[:min(3, len(clauses))])) + "."
}

// keywordSet collects keywords in order without duplicates.
type keywordSet struct {
	list []string
	seen map[string]bool
}

func (k *keywordSet) add(words ...string) {
	if k.seen == nil {
		k.seen = map[string]bool{}
	}
	for _, w := range words {
		if w != "" && !k.seen[w] {
			k.seen[w] = true
			k.list = append(k.list, w)
		}
	}
}

// Keywords returns between minN and maxN keywords (10 and 25 when zero),
// most important first, without duplicates. Keywords describe visual
// qualities: kind, colours, tone, composition, texture and orientation.
// When the findings give fewer than minN, general but true words about
// the image's style fill the list.
func (a *Analysis) Keywords(minN, maxN int) []string {
	if maxN <= 0 {
		maxN = 25
	}
	minN = max(minN, 10)
	if minN > maxN {
		minN = maxN
	}
	upper := max(25, minN)
	upper = min(upper, maxN)
	t := a.traits()
	var k keywordSet

	var kindWords []string
	switch t.kind {
	case kindSolid:
		kindWords = []string{"solid color", "background", "plain", "minimal", "flat", "simple", "backdrop", "empty", "blank"}
	case kindGradient:
		kindWords = []string{"gradient", "background", "smooth", "soft", "blurred", "backdrop", "minimal", "abstract"}
	case kindStars:
		kindWords = []string{"night", "stars", "space", "night sky", "starry", "universe", "cosmos", "astronomy", "galaxy", "black background"}
	case kindPattern:
		kindWords = []string{"pattern", "texture", "background", "repeating", "abstract", "surface", "textured", "full frame", "backdrop", "wallpaper", "material"}
	case kindTexture:
		kindWords = []string{"texture", "background", "abstract", "textured", "surface", "full frame", "backdrop", "material", "rough", "organic"}
	case kindMinimal:
		kindWords = []string{"minimal", "simple", "clean", "smooth", "background", "minimalism"}
	case kindCloseUp:
		kindWords = []string{"close-up", "blurred background", "shallow depth of field", "centered", "soft focus"}
	}
	const primary = 4
	k.add(kindWords[:min(primary, len(kindWords))]...)
	if a.Sky {
		if t.dark {
			k.add("sky", "dark blue sky")
		} else {
			k.add("sky", "blue sky")
		}
	}
	// colours
	if a.mono() {
		k.add("black and white", "monochrome", "grayscale")
	} else if a.Monochrome {
		k.add(a.toneWord(), "monochrome", "toned", "vintage")
	}
	for _, c := range t.colours[:min(4, len(t.colours))] {
		k.add(c)
	}
	switch t.kind {
	case kindSolid, kindGradient, kindTexture, kindPattern, kindMinimal:
		if len(t.colours) > 0 && !a.Monochrome {
			k.add(t.colours[0] + " background")
		}
	}
	if a.Transparent > 0.2 {
		k.add("isolated", "transparent background", "cutout")
	}
	// copy space
	switch a.CopySpace {
	case "":
	case "everywhere":
		k.add("copy space", "empty space", "space for text")
	default:
		k.add("copy space", "negative space", "space for text")
	}
	// tone and light
	switch {
	case t.dark:
		k.add("dark", "low key", "shadow", "moody")
	case t.bright:
		k.add("bright", "high key", "light", "airy")
	}
	switch {
	case t.vivid:
		k.add("vivid", "colorful", "saturated", "vibrant")
	case t.muted:
		k.add("muted", "desaturated", "subdued")
		if t.bright {
			k.add("pastel")
		}
	case !a.Monochrome && !t.dark && a.Colorfulness > 45:
		k.add("colorful")
	}
	switch {
	case t.highContrast:
		k.add("high contrast", "dramatic")
	case t.lowContrast:
		k.add("low contrast", "soft light", "soft")
	}
	switch {
	case t.warm:
		k.add("warm tones", "warm")
	case t.cool:
		k.add("cool tones", "cool")
	}
	if a.Pattern && t.kind != kindPattern {
		k.add("pattern", "repetition")
	}
	if a.Symmetric {
		k.add("symmetry", "symmetrical")
	}
	if t.busy {
		k.add("detailed", "complex")
	}
	if a.Frames > 1 {
		switch {
		case a.Motion > 6:
			k.add("motion", "movement", "dynamic")
		case a.Motion < 1.5:
			k.add("static", "still")
		}
	}
	if a.Transparent > 0.2 {
		k.add("isolated", "transparent background", "cutout")
	}
	k.add(orientationWord(a.Orientation))
	switch a.Orientation {
	case Landscape:
		k.add("landscape orientation")
	case Portrait:
		k.add("portrait orientation")
	case Panoramic:
		k.add("panorama", "wide")
	case VerticalPanoramic:
		k.add("tall")
	}
	if len(kindWords) > primary {
		k.add(kindWords[primary:]...)
	}
	strong := len(k.list)
	// fillers: general words about style that are true of any picture
	if a.Monochrome {
		k.add("tone", "shade")
	} else {
		k.add("color", "hue")
	}
	k.add("light", "composition", "visual", "design", "style", "mood", "atmosphere",
		"aesthetic", "artistic", "creative", "art", "image", "picture", "graphic",
		"form", "shape", "scene", "view", "frame", "imagery")
	n := min(max(strong, minN), upper)
	return k.list[:min(n, len(k.list))]
}

// Categories returns one or two stock categories in Shutterstock's naming
// ("Backgrounds/Textures", "Abstract", "Nature", "Science"), best first.
func (a *Analysis) Categories() []string {
	t := a.traits()
	switch t.kind {
	case kindSolid, kindGradient, kindMinimal:
		return []string{"Backgrounds/Textures", "Abstract"}
	case kindTexture, kindPattern:
		return []string{"Backgrounds/Textures", "Abstract"}
	case kindStars:
		return []string{"Science", "Backgrounds/Textures"}
	}
	if a.Sky {
		return []string{"Nature", "Parks/Outdoor"}
	}
	if a.Monochrome && a.Tint != "" {
		return []string{"Vintage", "Abstract"}
	}
	return []string{"Abstract"}
}

// Prompt returns a reverse prompt for a text-to-image generator that
// restates the image's visual qualities, such as "a muted, low-key
// photograph dominated by brown and beige, soft diffuse light, moderate
// detail, negative space on the left, landscape orientation".
func (a *Analysis) Prompt() string {
	t := a.traits()
	var adj []string
	switch {
	case t.dark:
		adj = append(adj, "low-key")
	case t.bright:
		adj = append(adj, "high-key")
	}
	switch {
	case a.Monochrome:
		adj = append(adj, a.toneWord())
	case t.vivid:
		adj = append(adj, "vivid")
	case t.muted:
		adj = append(adj, "muted")
	}
	medium := "photograph"
	switch t.kind {
	case kindSolid:
		medium = "flat graphic background"
	case kindGradient:
		medium = "smooth gradient background"
	case kindStars:
		medium = "photograph of a star field"
	case kindTexture:
		medium = "full-frame texture photograph"
	case kindPattern:
		medium = "full-frame photograph of a repeating textured pattern"
	case kindCloseUp:
		medium = "close-up photograph"
	case kindMinimal:
		medium = "minimalist photograph"
	}
	var parts []string
	head := "a "
	if len(adj) > 0 {
		head += strings.Join(adj, ", ") + " "
	}
	head += medium
	if len(t.colours) > 0 {
		head += " dominated by " + andList(t.colours[:min(3, len(t.colours))])
	}
	parts = append(parts, head)
	switch {
	case t.kind == kindSolid || t.kind == kindGradient:
		parts = append(parts, "even flat lighting")
	case t.highContrast:
		parts = append(parts, "hard contrasty light")
	case t.lowContrast:
		parts = append(parts, "soft diffuse light")
	case t.dark:
		parts = append(parts, "deep shadows")
	case t.bright:
		parts = append(parts, "bright airy lighting")
	default:
		parts = append(parts, "balanced natural light")
	}
	switch {
	case t.warm:
		parts = append(parts, "warm color palette")
	case t.cool:
		parts = append(parts, "cool color palette")
	}
	switch t.kind {
	case kindStars:
		parts = append(parts, "countless tiny points of light on black")
	case kindTexture, kindPattern:
		parts = append(parts, "fine even detail across the whole frame")
	case kindCloseUp:
		parts = append(parts, "sharp centre against a blurred background, shallow depth of field")
	case kindMinimal:
		parts = append(parts, "clean minimal composition")
	case kindImage:
		if t.busy {
			parts = append(parts, "rich fine detail")
		} else {
			parts = append(parts, "moderate detail")
		}
	}
	if a.Sky {
		parts = append(parts, "open blue sky above")
	}
	if p := a.copyPhrase(); p != "" {
		parts = append(parts, "negative space "+p)
	}
	if a.Symmetric {
		parts = append(parts, "symmetrical composition")
	}
	o := a.Orientation
	if o == VerticalPanoramic {
		o = "tall vertical"
	}
	parts = append(parts, o+" orientation")
	return strings.Join(parts, ", ")
}
