package stock

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Metadata is what a file is described with.
type Metadata struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Keywords    []string `json:"keywords"`
	// Categories holds category codes or names; Normalize turns them into
	// the profile's codes ("13" for Adobe's People).
	Categories []string `json:"categories,omitempty"`
}

// Rules are the user's controls. Their zero value asks for nothing beyond
// the profile. Where a rule and a profile both set a limit, the stricter
// one wins.
type Rules struct {
	MinKeywords, MaxKeywords int
	// TitleMax and DescriptionMax tighten the profile's length limits.
	TitleMax, DescriptionMax int
	// Required keywords come first, in this order; Excluded keywords are
	// removed, also when they are one word of a longer keyword.
	Required, Excluded []string
	SingleWord         bool // split phrases into words
	// ASCIIOnly keeps English letters only. It applies only when Language
	// is English or empty: folding German or French output would mangle
	// it. A profile that requires English letters folds in any case.
	ASCIIOnly bool
	Lowercase bool // lower-case keywords
	// Language is the BCP 47 code of the metadata ("en", "de"); empty
	// means the profile's default language, or English.
	Language string
	// SecondLanguage asks the model for a second set of keywords in this
	// language (see Guidance). Normalize does not mix them in.
	SecondLanguage string
	// Context is extra information from the user ("wedding, May 2025"),
	// used by Guidance only.
	Context string
}

// ProblemCode classifies a Problem.
type ProblemCode string

// Problem codes.
const (
	TooLong           ProblemCode = "too_long"           // cut to the limit
	TooShort          ProblemCode = "too_short"          // cannot be fixed here
	Empty             ProblemCode = "empty"              // a required field is missing
	TooFewKeywords    ProblemCode = "too_few_keywords"   // ask the model again
	TooManyKeywords   ProblemCode = "too_many_keywords"  // extra keywords dropped
	DuplicateKeyword  ProblemCode = "duplicate_keyword"  // dropped
	ForbiddenContent  ProblemCode = "forbidden_content"  // URL, camera data, AI/provider name removed
	ForbiddenChar     ProblemCode = "forbidden_char"     // characters removed
	NonASCII          ProblemCode = "non_ascii"          // accents folded or letters dropped
	ExcludedKeyword   ProblemCode = "excluded_keyword"   // dropped at the user's request
	InvalidCategory   ProblemCode = "invalid_category"   // not in the agency's list; dropped
	TooFewCategories  ProblemCode = "too_few_categories" // choose one
	TooManyCategories ProblemCode = "too_many_categories"
	WrongLanguage     ProblemCode = "wrong_language" // the agency takes another language
)

// Problem is one thing Normalize fixed, or found and could not fix.
type Problem struct {
	Field  string // "title", "description", "keywords", "categories", "language"
	Code   ProblemCode
	Fixed  bool   // true when the output no longer has the problem
	Detail string // short human-readable detail (may quote metadata text)
}

// String formats the problem as "field: code (fixed|unfixed): detail".
func (p Problem) String() string {
	s := "fixed"
	if !p.Fixed {
		s = "unfixed"
	}
	if p.Detail == "" {
		return fmt.Sprintf("%s: %s (%s)", p.Field, p.Code, s)
	}
	return fmt.Sprintf("%s: %s (%s): %s", p.Field, p.Code, s, p.Detail)
}

// Unfixed returns the problems the caller must act on.
func Unfixed(ps []Problem) []Problem {
	var out []Problem
	for _, p := range ps {
		if !p.Fixed {
			out = append(out, p)
		}
	}
	return out
}

// limits merges a profile (may be nil) and rules into one set of checks.
type limits struct {
	titleMin, titleMax, descMax int
	kwMin, kwMax, kwMaxLen      int
	catMin, catMax              int
	fold, lower, single         bool
	forbidden, titleForbidden   string
	required, excluded          []string
	categories                  []Category
	profile                     *Profile
}

func tighter(a, b int) int { // the smaller non-zero limit
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

func mergeLimits(p *Profile, r Rules) limits {
	l := limits{
		kwMin: r.MinKeywords, kwMax: r.MaxKeywords,
		titleMax: r.TitleMax, descMax: r.DescriptionMax,
		lower: r.Lowercase, single: r.SingleWord,
		required: r.Required, excluded: r.Excluded, profile: p,
	}
	l.fold = r.ASCIIOnly && isEnglish(r.Language)
	if p != nil {
		l.titleMin = p.TitleMin
		l.titleMax = tighter(l.titleMax, p.TitleMax)
		l.descMax = tighter(l.descMax, p.DescriptionMax)
		l.kwMin = max(l.kwMin, p.KeywordsMin)
		l.kwMax = tighter(l.kwMax, p.KeywordsMax)
		l.kwMaxLen = p.KeywordMaxLen
		l.catMin, l.catMax = p.CategoriesMin, p.CategoriesMax
		l.fold = l.fold || p.ASCIIOnly
		l.lower = l.lower || p.LowercaseKeywords
		l.forbidden = p.ForbiddenChars
		l.titleForbidden = p.ForbiddenChars + p.TitleForbiddenChars
		l.categories = p.Categories
	}
	return l
}

func isEnglish(lang string) bool {
	lang = strings.ToLower(strings.TrimSpace(lang))
	return lang == "" || lang == "en" || strings.HasPrefix(lang, "en-") || strings.HasPrefix(lang, "en_")
}

// Normalize cleans m for the agency p (nil for no agency) and the user's
// rules, and reports what it fixed and what it could not. It never fails:
// a problem that needs the model again (too few keywords, a title too
// short) is returned unfixed. The input is not modified. Safe for
// concurrent use.
//
// Keywords: split at commas and semicolons, trimmed, whitespace collapsed,
// URLs, camera data and AI-provider names removed, the agency's forbidden
// characters removed, folded to English letters where required, case-
// insensitive duplicates dropped (first kept), excluded keywords dropped,
// required keywords put first, cut to the maximum. Title and description:
// one line, URLs, camera data and "AI generated" phrases removed, cut at a
// word boundary within the limit.
func Normalize(m Metadata, p *Profile, r Rules) (Metadata, []Problem) {
	l := mergeLimits(p, r)
	var probs []Problem
	if p != nil && p.EnglishOnly && !isEnglish(r.Language) {
		probs = append(probs, Problem{Field: "language", Code: WrongLanguage,
			Detail: fmt.Sprintf("%s takes English metadata, %q was asked for", p.DisplayName, r.Language)})
	}
	var out Metadata
	out.Title, probs = normText("title", m.Title, l.titleMin, l.titleMax, l.titleForbidden, l.fold, true, probs)
	out.Description, probs = normText("description", m.Description, 0, l.descMax, l.forbidden, l.fold, false, probs)
	out.Keywords, probs = normKeywords(m.Keywords, l, probs)
	out.Categories, probs = normCategories(m.Categories, l, probs)
	return out, probs
}

// NormalizeKeywords applies the keyword part of Normalize without an
// agency profile, for the generic pipeline: the same cleaning, Rules'
// counts, required and excluded lists. Problems are discarded.
func NormalizeKeywords(kw []string, r Rules) []string {
	out, _ := normKeywords(kw, mergeLimits(nil, r), nil)
	return out
}

var (
	reURL   = regexp.MustCompile(`(?i)\b(?:https?://|ftp://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+|\b[a-z0-9][a-z0-9-]*\.(?:com|net|org|io|co|info|biz|de|uk|fr|ru|jp|cn)(?:/\S*)?\b`)
	reCamMk = regexp.MustCompile(`(?i)(?:\b(?:shot|taken|captured|photographed|filmed)\s+(?:on|with)\s+(?:an?\s+)?)?\b(?:canon|nikon|sony|fujifilm|fuji|olympus|panasonic|lumix|leica|pentax|hasselblad|sigma|tamron|ricoh|gopro|dji|iphone|pixel)\b(?:[ -]+(?:eos|alpha|mark|lumix|[a-z]{0,4}-?[a-z]{0,3}\d[\w-]*|[ivx]{1,4}|pro|max|mini|r|z))+`)
	reCamV  = regexp.MustCompile(`(?i)(?:\b(?:at|with)\s+)?(?:\bf/\s?\d+(?:\.\d+)?|\bf\d+(?:\.\d+)\b|\biso[ -]?\d{2,6}\b|\b\d{1,4}(?:\.\d+)?(?:-\d{1,4})?\s?mm\b|\b1/\d{2,5}(?:\s?(?:s|sec))?\b|\b\d+(?:\.\d+)?\s?ev\b)`)
	// rePunctRun matches punctuation left stranded by removals ("Zurich -, shot").
	rePunctRun = regexp.MustCompile(`(?:\s*[-–—,;:])+\s*([,;:.!?])`)
	reAIPh     = regexp.MustCompile(`(?i)\b(?:(?:created|made|generated|produced|rendered)\s+(?:with|by|using)\s+(?:an?\s+)?(?:generative\s+)?(?:ai|a\.i\.|artificial intelligence)(?:\s+tools?)?|ai[- ]generated|generative\s+ai|ai\s+art(?:work)?|chatgpt|openai|midjourney|dall-?e|stable\s+diffusion|anthropic)\b`)
)

// The strip functions run a regular expression only when a cheap test
// says it can match: Go's regexp engine is linear but slow per byte.

func stripURL(s string) string {
	if !strings.ContainsAny(s, ".@") {
		return s
	}
	return reURL.ReplaceAllString(s, " ")
}

func stripCamera(s string) string {
	if strings.IndexFunc(s, unicode.IsDigit) < 0 {
		return s // every camera pattern has a digit
	}
	lower := strings.ToLower(s)
	for _, brand := range [...]string{"canon", "nikon", "sony", "fuji", "olympus", "panasonic", "lumix", "leica", "pentax", "hasselblad", "sigma", "tamron", "ricoh", "gopro", "dji", "iphone", "pixel"} {
		if strings.Contains(lower, brand) {
			s = reCamMk.ReplaceAllString(s, " ")
			lower = strings.ToLower(s)
			break
		}
	}
	if hasCameraValue(lower) {
		s = reCamV.ReplaceAllString(s, " ")
	}
	return s
}

// hasCameraValue is a cheap test for what reCamV can match: "f/", "f2",
// "iso", "mm", "1/", "ev".
func hasCameraValue(lower string) bool {
	if strings.Contains(lower, "/") || strings.Contains(lower, "iso") || strings.Contains(lower, "mm") || strings.Contains(lower, "ev") {
		return true
	}
	for i := 0; i+1 < len(lower); i++ {
		if lower[i] == 'f' && lower[i+1] >= '0' && lower[i+1] <= '9' {
			return true
		}
	}
	return false
}

func mayHaveAI(lower string) bool {
	for _, w := range [...]string{"ai", "a.i", "artificial", "gpt", "midjourney", "dall", "diffusion", "anthropic"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

func stripAI(s string) string {
	if !mayHaveAI(strings.ToLower(s)) {
		return s
	}
	return reAIPh.ReplaceAllString(s, " ")
}

// isCameraBrand reports camera brands that are removed even alone as
// keywords. Ambiguous words (sigma, olympus, pixel, canon) are removed
// only with a model number.
func isCameraBrand(lower string) bool {
	switch lower {
	case "canon eos", "nikon", "fujifilm", "hasselblad", "leica", "gopro",
		"sony alpha", "panasonic lumix":
		return true
	}
	return false
}

// isAIName reports keywords naming an AI provider, model or the act of
// generation. "gemini" and "claude" are also ordinary words; a keyword
// that is only that word is dropped all the same, since models love to
// name themselves. "firefly" and "flux" alone are kept (an insect, a
// physics term); "adobe firefly" is not.
func isAIName(lower string) bool {
	switch lower {
	case "ai", "a.i.", "ai generated", "ai-generated", "generated",
		"generative ai", "generative", "genai", "gen ai", "ai art",
		"ai image", "ai artwork", "generated by ai", "made with ai",
		"chatgpt", "chat gpt", "gpt", "gpt-4", "gpt-4o", "gpt-5", "openai",
		"open ai", "dall-e", "dalle", "gemini", "google gemini", "bard",
		"claude", "anthropic", "midjourney", "stable diffusion",
		"stablediffusion", "sdxl", "adobe firefly", "imagen", "llm",
		"copilot", "leonardo ai", "ideogram":
		return true
	}
	return false
}

func isAIKeyword(lower string) bool {
	if isAIName(lower) {
		return true
	}
	return mayHaveAI(lower) && reAIPh.FindString(lower) == lower
}

// cleanLine makes s one line: controls and line breaks become spaces,
// runs of white space one space, ends trimmed.
func cleanLine(s string) string {
	s = norm.NFC.String(s)
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u200b' || r == '\ufeff'
	}), " ")
}

// foldASCII removes accents (NFD, then drop combining marks), maps a few
// letters that do not decompose, and drops what is still not ASCII.
func foldASCII(s string) (string, bool) {
	d := norm.NFD.String(s)
	var b strings.Builder
	changed := false
	for _, r := range d {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
			continue
		case unicode.Is(unicode.Mn, r):
		default:
			if rep, ok := foldExtra(r); ok {
				b.WriteString(rep)
			} else if unicode.IsSpace(r) || unicode.IsPunct(r) {
				b.WriteByte(' ')
			}
		}
		changed = true
	}
	return b.String(), changed
}

// foldExtra maps letters and punctuation that NFD does not decompose.
func foldExtra(r rune) (string, bool) {
	switch r {
	case 'ß':
		return "ss", true
	case 'æ':
		return "ae", true
	case 'Æ':
		return "AE", true
	case 'ø':
		return "o", true
	case 'Ø':
		return "O", true
	case 'œ':
		return "oe", true
	case 'Œ':
		return "OE", true
	case 'đ', 'ð':
		return "d", true
	case 'Đ':
		return "D", true
	case 'ł':
		return "l", true
	case 'Ł':
		return "L", true
	case 'þ':
		return "th", true
	case 'Þ':
		return "Th", true
	case 'ı':
		return "i", true
	case '–', '—':
		return "-", true
	case '‘', '’':
		return "'", true
	case '“', '”':
		return `"`, true
	}
	return "", false
}

func removeChars(s, chars string) (string, bool) {
	if chars == "" || !strings.ContainsAny(s, chars) {
		return s, false
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(chars, r) {
			return ' '
		}
		return r
	}, s), true
}

// Input caps: model output beyond these sizes is junk, and cutting it
// first bounds the work Normalize does on hostile input.
const (
	maxTextInput    = 8 << 10 // bytes of a title or description
	maxKeywordInput = 512     // bytes of one keyword
	maxKeywordsIn   = 2000    // keywords looked at
)

func normText(field, s string, minLen, maxLen int, forbidden string, fold, isTitle bool, probs []Problem) (string, []Problem) {
	s = cleanLine(cutBytes(s, maxTextInput))
	orig := s
	if t := stripURL(s); t != s {
		s = t
		probs = append(probs, Problem{Field: field, Code: ForbiddenContent, Fixed: true, Detail: "URL or e-mail removed"})
	}
	if t := stripCamera(s); t != s {
		s = t
		probs = append(probs, Problem{Field: field, Code: ForbiddenContent, Fixed: true, Detail: "camera data removed"})
	}
	if t := stripAI(s); t != s {
		s = t
		probs = append(probs, Problem{Field: field, Code: ForbiddenContent, Fixed: true, Detail: "AI or provider name removed"})
	}
	if isTitle {
		// A comma-free title reads better without the comma's space too.
		if strings.Contains(forbidden, ",") {
			if t := strings.ReplaceAll(s, ",", ""); t != s {
				s = t
				probs = append(probs, Problem{Field: field, Code: ForbiddenChar, Fixed: true, Detail: "commas removed"})
			}
		}
	}
	if t, ok := removeChars(s, forbidden); ok {
		s = t
		probs = append(probs, Problem{Field: field, Code: ForbiddenChar, Fixed: true, Detail: "forbidden characters removed"})
	}
	if fold {
		if t, ok := foldASCII(s); ok {
			s = t
			probs = append(probs, Problem{Field: field, Code: NonASCII, Fixed: true, Detail: "folded to English letters"})
		}
	}
	if s != orig {
		s = cleanLine(s)
		s = strings.Trim(s, " ,;:-")
		s = tidyPunct(s)
	}
	if maxLen > 0 && utf8.RuneCountInString(s) > maxLen {
		s = trimDangling(cutWords(s, maxLen))
		probs = append(probs, Problem{Field: field, Code: TooLong, Fixed: true, Detail: fmt.Sprintf("cut to %d characters", maxLen)})
	}
	switch {
	case s == "" && isTitle:
		probs = append(probs, Problem{Field: field, Code: Empty})
	case s != "" && minLen > 0 && utf8.RuneCountInString(s) < minLen:
		probs = append(probs, Problem{Field: field, Code: TooShort, Detail: fmt.Sprintf("at least %d characters needed", minLen)})
	}
	return s, probs
}

// tidyPunct removes punctuation runs and spaces before punctuation left
// by removals.
func tidyPunct(s string) string {
	s = rePunctRun.ReplaceAllString(s, "$1")
	for _, p := range []string{" ,", " .", " ;", " :", " !", " ?"} {
		s = strings.ReplaceAll(s, p, p[1:])
	}
	return s
}

// cutWords cuts s to at most n characters, at the last word boundary
// when there is one in the second half, and trims dangling punctuation.
func cutWords(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	cut := rs[:n]
	if !unicode.IsSpace(rs[n]) { // mid-word: back off to a space
		for i := len(cut) - 1; i >= n/2; i-- {
			if unicode.IsSpace(cut[i]) {
				cut = cut[:i]
				break
			}
		}
	}
	return strings.TrimRight(string(cut), " ,;:-–—/&")
}

// cutBytes cuts s to at most n bytes without splitting a UTF-8 sequence,
// at a word boundary when there is one in the second half.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	if s[i] != ' ' {
		if j := strings.LastIndexByte(s[:i], ' '); j >= n/2 {
			i = j
		}
	}
	return strings.TrimRight(s[:i], " ")
}

// trimDangling drops English stop words left at the end of a cut title
// ("... with clouds of").
func trimDangling(s string) string {
	for {
		i := strings.LastIndexByte(s, ' ')
		if i <= 0 || !isStopWord(strings.ToLower(s[i+1:])) {
			return s
		}
		s = strings.TrimRight(s[:i], " ,;:-–—/&")
	}
}

func isStopWord(lower string) bool {
	switch lower {
	case "a", "an", "the", "of", "and", "in", "on", "with", "for", "to",
		"at", "by", "or", "from":
		return true
	}
	return false
}

// cleanKeyword returns the cleaned keyword ("" to drop it) and the
// problem found, if any.
func cleanKeyword(k string, l *limits) (string, *Problem) {
	if len(k) > maxKeywordInput {
		return "", &Problem{Field: "keywords", Code: TooLong, Fixed: true, Detail: "overlong keyword dropped"}
	}
	k = cleanLine(k)
	k = strings.Trim(k, ` "'.,;:#*`+"`")
	if k == "" {
		return "", nil
	}
	lower := strings.ToLower(k)
	if isAIKeyword(lower) {
		return "", &Problem{Field: "keywords", Code: ForbiddenContent, Fixed: true, Detail: fmt.Sprintf("AI or provider name %q dropped", k)}
	}
	if isCameraBrand(lower) {
		return "", &Problem{Field: "keywords", Code: ForbiddenContent, Fixed: true, Detail: fmt.Sprintf("camera data %q dropped", k)}
	}
	var prob *Problem
	t := stripAI(stripCamera(stripURL(k)))
	if t != k {
		prob = &Problem{Field: "keywords", Code: ForbiddenContent, Fixed: true, Detail: fmt.Sprintf("URL, camera data or AI name removed from %q", k)}
		k = t
	}
	if t, ok := removeChars(k, l.forbidden); ok {
		k = t
		prob = &Problem{Field: "keywords", Code: ForbiddenChar, Fixed: true, Detail: "forbidden characters removed"}
	}
	if l.fold {
		if t, ok := foldASCII(k); ok {
			k = t
			prob = &Problem{Field: "keywords", Code: NonASCII, Fixed: true, Detail: "folded to English letters"}
		}
	}
	if l.lower {
		k = strings.ToLower(k)
	}
	k = strings.Trim(cleanLine(k), ` "'.,;:#*-/`+"`")
	if k != "" && l.kwMaxLen > 0 && utf8.RuneCountInString(k) > l.kwMaxLen {
		return "", &Problem{Field: "keywords", Code: TooLong, Fixed: true, Detail: fmt.Sprintf("keyword longer than %d characters dropped", l.kwMaxLen)}
	}
	return k, prob
}

// expand splits model output at separators and, for single-word rules,
// into words without stop words.
func expand(kws []string, single bool) []string {
	var out []string
	for _, k := range kws {
		k = norm.NFC.String(k) // U+037E becomes ';' here, so split after
		for part := range strings.FieldsFuncSeq(k, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '|' || r == '、' || r == '，' }) {
			if !single {
				out = append(out, part)
				continue
			}
			for w := range strings.FieldsSeq(part) {
				if !isStopWord(strings.ToLower(w)) {
					out = append(out, w)
				}
			}
		}
	}
	return out
}

func keywordKey(k string) string { return strings.ToLower(norm.NFC.String(k)) }

func normKeywords(in []string, l limits, probs []Problem) ([]string, []Problem) {
	excluded := map[string]bool{}
	for _, e := range expand(l.excluded, false) {
		if k, _ := cleanKeyword(e, &l); k != "" {
			excluded[keywordKey(k)] = true
		}
	}
	isExcluded := func(k string) bool {
		key := keywordKey(k)
		if excluded[key] {
			return true
		}
		for w := range strings.FieldsSeq(key) {
			if excluded[w] {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	var out []string
	dropped := 0 // beyond the maximum
	add := func(raw []string, required bool) {
		parts := expand(raw, l.single)
		for i, k := range parts {
			if l.kwMax > 0 && len(out) == l.kwMax || i == maxKeywordsIn {
				dropped += len(parts) - i
				return
			}
			c, prob := cleanKeyword(k, &l)
			if prob != nil {
				probs = append(probs, *prob)
			}
			if c == "" {
				continue
			}
			if !required && isExcluded(c) {
				probs = append(probs, Problem{Field: "keywords", Code: ExcludedKeyword, Fixed: true, Detail: fmt.Sprintf("%q dropped", c)})
				continue
			}
			key := keywordKey(c)
			if seen[key] {
				if !required {
					probs = append(probs, Problem{Field: "keywords", Code: DuplicateKeyword, Fixed: true, Detail: fmt.Sprintf("%q dropped", c)})
				}
				continue
			}
			seen[key] = true
			out = append(out, c)
		}
	}
	add(l.required, true)
	add(in, false)
	if dropped > 0 {
		probs = append(probs, Problem{Field: "keywords", Code: TooManyKeywords, Fixed: true, Detail: fmt.Sprintf("%d more keywords dropped", dropped)})
	}
	if len(out) < l.kwMin {
		probs = append(probs, Problem{Field: "keywords", Code: TooFewKeywords, Detail: fmt.Sprintf("%d of at least %d", len(out), l.kwMin)})
	}
	return out, probs
}

func normCategories(in []string, l limits, probs []Problem) ([]string, []Problem) {
	var out []string
	seen := map[string]bool{}
	for _, c := range in {
		c = cleanLine(c)
		if c == "" {
			continue
		}
		// The keywords' filter applies to categories too: without an
		// agency's list they are free text the model wrote, and a
		// provider's name or camera data is no category either way.
		if lower := strings.ToLower(c); isAIKeyword(lower) || isCameraBrand(lower) {
			probs = append(probs, Problem{Field: "categories", Code: ForbiddenContent, Fixed: true, Detail: fmt.Sprintf("AI, provider or camera name %q dropped", c)})
			continue
		}
		if t := cleanLine(stripAI(stripCamera(stripURL(c)))); t != c {
			probs = append(probs, Problem{Field: "categories", Code: ForbiddenContent, Fixed: true, Detail: fmt.Sprintf("URL, camera data or AI name removed from %q", c)})
			if c = strings.Trim(t, ` "'.,;:#*-/`+"`"); c == "" {
				continue
			}
		}
		if l.profile != nil && len(l.categories) > 0 {
			cat, ok := l.profile.Category(c)
			if !ok {
				probs = append(probs, Problem{Field: "categories", Code: InvalidCategory, Fixed: true, Detail: fmt.Sprintf("%q is not a %s category", c, l.profile.DisplayName)})
				continue
			}
			c = cat.Code
		}
		if seen[strings.ToLower(c)] {
			continue
		}
		seen[strings.ToLower(c)] = true
		out = append(out, c)
	}
	if l.catMax > 0 && len(out) > l.catMax {
		probs = append(probs, Problem{Field: "categories", Code: TooManyCategories, Fixed: true, Detail: fmt.Sprintf("kept the first %d", l.catMax)})
		out = out[:l.catMax]
	}
	if len(out) < l.catMin {
		probs = append(probs, Problem{Field: "categories", Code: TooFewCategories, Detail: fmt.Sprintf("%d of at least %d", len(out), l.catMin)})
	}
	return out, probs
}
