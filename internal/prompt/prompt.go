package prompt

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/picfre/picfre/provider"
)

// Instructions returns the system prompt for s. guidance is the rules
// text for the task (agency rules, keyword counts, language, the user's
// context); when it is empty, the instructions state generic limits from
// s itself, so that the two texts never contradict each other.
func Instructions(s provider.Spec, guidance string) string {
	var b strings.Builder
	switch s.Task {
	case provider.TaskPrompt:
		b.WriteString("You write prompts for text-to-image generators. For each image, write one prompt that would make a generator recreate it: ")
		b.WriteString("subject, setting, style or medium, lighting, composition, camera and lens where it is a photograph, colour palette and mood. ")
		b.WriteString("Describe only what is visible. Do not name real people, brands or trademarks. ")
	default:
		switch s.Media {
		case provider.MediaVideo:
			b.WriteString("You write metadata for stock footage agencies. The video is given as a clip or as frames in time order. Write a title, a description, keywords and categories that a buyer would search for, including the action, camera movement and setting. ")
		case provider.MediaAudio:
			b.WriteString("You write metadata for stock audio agencies. Listen to the clip and write a title, a description, keywords and categories that a buyer would search for, and name its genre, mood and instruments. ")
		default:
			b.WriteString("You write metadata for stock photo agencies. For each image, write a title, a description, keywords and categories that a buyer would search for. ")
		}
		fmt.Fprintf(&b, "The description is one or two sentences, at most %d characters. ", nz(s.MaxDescription, 200))
		b.WriteString("Describe only what is visible. ")
		if guidance == "" {
			fmt.Fprintf(&b, "The title is a plain, literal phrase of at most %d characters. ", nz(s.MaxTitle, 70))
			fmt.Fprintf(&b, "Give %d to %d keywords, most important first, no duplicates. ", nz(s.MinKeywords, 10), nz(s.MaxKeywords, 49))
		}
	}
	if guidance == "" {
		lang := s.Language
		if lang == "" {
			lang = "en"
		}
		fmt.Fprintf(&b, "Write in the language with code %q. ", lang)
	}
	if s.Task != provider.TaskPrompt && s.SecondLanguage != "" {
		fmt.Fprintf(&b, "Put the keywords in the language with code %q, in the same order, under \"keywords_second\". ", s.SecondLanguage)
	}
	if s.Items > 1 {
		fmt.Fprintf(&b, "There are %d images, each introduced by its number; answer with one entry per image, in the same order, under %q. ", s.Items, provider.ItemsKey)
	}
	if guidance != "" {
		b.WriteString(strings.TrimSpace(guidance))
		b.WriteByte(' ')
	}
	b.WriteString("Answer with JSON only, matching the schema.")
	return b.String()
}

func nz(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

type object struct {
	Type                 string         `json:"type"`
	AdditionalProperties bool           `json:"additionalProperties"`
	Required             []string       `json:"required"`
	Properties           map[string]any `json:"properties"`
}

var str = map[string]string{"type": "string"}

func stringList() map[string]any { return map[string]any{"type": "array", "items": str} }

// Schema returns the JSON Schema of the answer for s, in the subset that
// every structured-output API accepts (strict mode: all properties
// required, no additional properties).
func Schema(s provider.Spec) json.RawMessage {
	var item object
	switch s.Task {
	case provider.TaskPrompt:
		item = object{Type: "object", Required: []string{"prompt"}, Properties: map[string]any{"prompt": str}}
	default:
		item = object{Type: "object", Required: []string{"title", "description", "keywords", "categories"},
			Properties: map[string]any{"title": str, "description": str, "keywords": stringList(), "categories": stringList()}}
		if s.SecondLanguage != "" {
			item.Required = append(item.Required, "keywords_second")
			item.Properties["keywords_second"] = stringList()
		}
		if s.Media == provider.MediaAudio {
			item.Required = append(item.Required, "genre", "mood", "instruments")
			item.Properties["genre"], item.Properties["mood"], item.Properties["instruments"] = str, str, stringList()
		}
	}
	var v any = item
	if s.Items > 1 {
		v = object{Type: "object", Required: []string{provider.ItemsKey}, Properties: map[string]any{
			provider.ItemsKey: map[string]any{"type": "array", "items": item},
		}}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // static shapes always marshal
	}
	return b
}

// SchemaName is the name given to the schema of task where an API wants
// one.
func SchemaName(task provider.Task) string { return "picfre_" + string(task) }
