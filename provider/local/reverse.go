package local

import "strings"

// PromptAnalysis is the structured reverse prompt the provider answers for
// the prompt task. Its JSON fields are those of the structured schema the
// pipeline sends (internal/prompt.Analysis): every field is always
// present, empty when pixels cannot tell (the camera body, visible text).
type PromptAnalysis struct {
	Prompt      string   `json:"prompt"`
	Subject     string   `json:"subject"`
	Setting     string   `json:"setting"`
	Medium      string   `json:"medium"`
	Style       string   `json:"style"`
	Lighting    string   `json:"lighting"`
	Composition string   `json:"composition"`
	Camera      string   `json:"camera"`
	Lens        string   `json:"lens"`
	Palette     string   `json:"palette"`
	Mood        string   `json:"mood"`
	Text        string   `json:"text"`
	Negative    []string `json:"negative"`
}

// PromptAnalysis splits the image's visual qualities into the fields of a
// structured reverse prompt. Prompt is exactly [Analysis.Prompt]; the
// other fields restate its parts, so that a generator-specific renderer
// can arrange them. Like the rest of the provider it describes how the
// image looks, never what it shows: Subject names the kind of picture.
func (a *Analysis) PromptAnalysis() PromptAnalysis {
	t := a.traits()
	p := PromptAnalysis{Prompt: a.Prompt(), Negative: []string{}}

	p.Subject = t.noun(a)
	if p.Subject == "image" {
		p.Subject = "a scene"
	}
	switch {
	case t.kind == kindStars:
		p.Setting = "the night sky"
	case a.Sky:
		p.Setting = "outdoors under an open blue sky"
	}

	p.Medium = "photograph"
	switch t.kind {
	case kindSolid, kindGradient:
		p.Medium = "flat digital graphic"
	case kindTexture, kindPattern:
		p.Medium = "full-frame texture photograph"
	}

	var style []string
	switch {
	case t.dark:
		style = append(style, "low-key")
	case t.bright:
		style = append(style, "high-key")
	}
	switch {
	case a.Monochrome:
		style = append(style, a.toneWord())
	case t.vivid:
		style = append(style, "vivid")
	case t.muted:
		style = append(style, "muted")
	}
	switch t.kind {
	case kindMinimal, kindSolid, kindGradient:
		style = append(style, "minimalist")
	case kindPattern:
		style = append(style, "repeating pattern")
	}
	if len(style) == 0 {
		style = append(style, "natural")
	}
	p.Style = strings.Join(style, ", ")

	switch {
	case t.kind == kindSolid || t.kind == kindGradient:
		p.Lighting = "even flat lighting"
	case t.highContrast:
		p.Lighting = "hard contrasty light"
	case t.lowContrast:
		p.Lighting = "soft diffuse light"
	case t.dark:
		p.Lighting = "dim light with deep shadows"
	case t.bright:
		p.Lighting = "bright airy lighting"
	default:
		p.Lighting = "balanced natural light"
	}

	var comp []string
	switch t.kind {
	case kindCloseUp:
		comp = append(comp, "sharp centre against a blurred background")
	case kindTexture, kindPattern:
		comp = append(comp, "detail across the whole frame")
	case kindMinimal:
		comp = append(comp, "clean minimal composition")
	}
	if c := a.copyPhrase(); c != "" {
		comp = append(comp, "negative space "+c)
	}
	if a.Symmetric {
		comp = append(comp, "symmetrical")
	}
	o := a.Orientation
	if o == VerticalPanoramic {
		o = "tall vertical"
	}
	comp = append(comp, o+" orientation")
	p.Composition = strings.Join(comp, ", ")

	if p.Medium == "photograph" || t.kind == kindTexture || t.kind == kindPattern {
		switch {
		case t.kind == kindCloseUp:
			p.Camera, p.Lens = "close-up", "shallow depth of field"
		case a.Orientation == Panoramic || a.Orientation == VerticalPanoramic:
			p.Camera, p.Lens = "panoramic view", "wide angle"
		case t.kind == kindStars:
			p.Camera, p.Lens = "long exposure", "wide angle"
		}
	}

	if len(t.colours) > 0 {
		p.Palette = andList(t.colours[:min(3, len(t.colours))])
		switch {
		case t.warm:
			p.Palette += ", warm tones"
		case t.cool:
			p.Palette += ", cool tones"
		}
	}

	switch {
	case t.dark:
		p.Mood = "moody"
	case t.vivid:
		p.Mood = "energetic"
	case t.bright:
		p.Mood = "airy"
	case t.muted || t.lowContrast:
		p.Mood = "calm"
	default:
		p.Mood = "neutral"
	}
	switch t.kind {
	case kindSolid, kindGradient, kindTexture, kindPattern, kindMinimal, kindStars:
		// Nothing but the surface: generators should not invent things.
		p.Negative = append(p.Negative, "people", "text")
	}
	return p
}
