package stock

import (
	"fmt"
	"slices"
	"strings"
)

// AIPolicy says whether an agency accepts content made with generative AI.
type AIPolicy int

const (
	// AIUnknown: the agency's rule is not recorded here; check before upload.
	AIUnknown AIPolicy = iota
	// AIAccepted: accepted when flagged as described in Profile.AIFlag.
	AIAccepted
	// AINotAccepted: the agency rejects generative-AI content.
	AINotAccepted
)

// String returns "accepted", "not accepted" or "unknown".
func (a AIPolicy) String() string {
	switch a {
	case AIAccepted:
		return "accepted"
	case AINotAccepted:
		return "not accepted"
	}
	return "unknown"
}

// Category is one entry of an agency's category list. Code is what goes
// into the agency's CSV ("13" for Adobe's People, "Nature" for
// Shutterstock); Name is the human-readable name.
type Category struct {
	Code string
	Name string
}

// Field names a piece of a Row that a CSV column takes its value from.
type Field int

// CSV column sources.
const (
	FieldFile         Field = iota + 1 // Row.File
	FieldTitle                         // Title, or Description when Title is empty
	FieldDescription                   // Description, or Title when Description is empty
	FieldKeywords                      // Keywords joined by CSVFormat.KeywordSep
	FieldCategory                      // the first category
	FieldCategories                    // all categories joined by CSVFormat.CategorySep
	FieldReleases                      // Row.Releases
	FieldIllustration                  // Row.Illustration as Yes/No
	FieldMature                        // Row.Mature as Yes/No
	FieldEditorial                     // Row.Editorial as Yes/No
	FieldPrompt                        // Row.Prompt
	FieldModel                         // Row.Model
	FieldLicense                       // Row.License
)

// Column is one CSV column: the exact header text and where its cells
// come from.
type Column struct {
	Header string
	Field  Field
}

// CSVFormat is an agency's upload CSV: exact columns, delimiter, BOM and
// size limits. MaxRows and MaxBytes of zero mean no limit.
type CSVFormat struct {
	Columns     []Column
	Comma       rune   // field delimiter
	BOM         bool   // write a UTF-8 byte order mark first
	KeywordSep  string // between keywords inside the Keywords cell
	CategorySep string // between categories inside a Categories cell
	MaxRows     int    // data rows per file (header not counted)
	MaxBytes    int64  // bytes per file, header and BOM included
	FilenameMax int    // characters the agency accepts in a file name; 0 = unknown
}

// Headers returns the header row.
func (f *CSVFormat) Headers() []string {
	h := make([]string, len(f.Columns))
	for i, c := range f.Columns {
		h[i] = c.Header
	}
	return h
}

// Profile records what one agency accepts. Lengths are counted in
// characters (Unicode code points); zero means no limit is known. A
// Profile from Lookup or Profiles is the caller's own copy.
type Profile struct {
	Name        string   // canonical lower-case name, e.g. "adobe"
	DisplayName string   // e.g. "Adobe Stock"
	Aliases     []string // other names Lookup accepts

	// Languages the agency takes metadata in; the first is the default.
	// Empty means any language (one language per file).
	Languages   []string
	EnglishOnly bool // metadata must be English
	ASCIIOnly   bool // English letters only: accents are folded, other scripts dropped

	TitleMin, TitleMax             int
	DescriptionMin, DescriptionMax int
	KeywordsMin, KeywordsMax       int
	KeywordMaxLen                  int  // characters per keyword
	LowercaseKeywords              bool // keywords must be lower case
	// TopKeywords is how many leading keywords weigh most in search.
	TopKeywords int

	// ForbiddenChars may appear neither in titles nor in keywords.
	ForbiddenChars string
	// TitleForbiddenChars may not appear in titles (Adobe: commas).
	TitleForbiddenChars string

	// Categories is the agency's list; empty means free text or none.
	Categories                   []Category
	CategoriesMin, CategoriesMax int

	AI     AIPolicy
	AIFlag string // how AI content is flagged, for AIAccepted

	// Forbidden lists content that must not appear in title, description
	// or keywords, in words a prompt can use.
	Forbidden []string

	// CSV is the upload CSV format, nil when the agency has none.
	CSV *CSVFormat
}

// Category resolves s against the profile's category list by code or by
// name, ignoring case, "the", "&" versus "and", slashes and spacing. It
// reports false when the profile has no such category.
func (p *Profile) Category(s string) (Category, bool) {
	key := categoryKey(s)
	if key == "" {
		return Category{}, false
	}
	for _, c := range p.Categories {
		if strings.EqualFold(strings.TrimSpace(s), c.Code) || categoryKey(c.Name) == key {
			return c, true
		}
	}
	return Category{}, false
}

func categoryKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "&", " and ")
	s = strings.ReplaceAll(s, "/", " ")
	f := strings.Fields(s)
	if len(f) > 0 && f[0] == "the" {
		f = f[1:]
	}
	return strings.Join(f, " ")
}

// Lookup returns the profile of the agency called name, ignoring case,
// spaces, dots, hyphens and underscores ("Adobe Stock", "adobestock",
// "istock", "123rf"). The result is a fresh copy the caller may change.
// Safe for concurrent use.
func Lookup(name string) (*Profile, error) {
	key := aliasKey(name)
	for _, p := range builtin() {
		if aliasKey(p.Name) == key || aliasKey(p.DisplayName) == key {
			return p, nil
		}
		for _, a := range p.Aliases {
			if aliasKey(a) == key {
				return p, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownAgency, name)
}

// Profiles returns every built-in profile, in a stable order, as fresh
// copies. Safe for concurrent use.
func Profiles() []*Profile { return builtin() }

func aliasKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '.', '-', '_', '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Adobe Stock's 21 numbered categories, as used in the Category column of
// its upload CSV. Source: Adobe's CSV help points to its category list; the
// names and numbers agree across the public keywording tools that fill
// that column (third-party confirmation).
func adobeCategoryNames() []string {
	return []string{
		"Animals", "Buildings and Architecture", "Business", "Drinks",
		"The Environment", "States of Mind", "Food", "Graphic Resources",
		"Hobbies and Leisure", "Industry", "Landscapes", "Lifestyle", "People",
		"Plants and Flowers", "Culture and Religion", "Science", "Social Issues",
		"Sports", "Technology", "Transport", "Travel",
	}
}

// Shutterstock's image categories as named in its CSV Categories column.
// Source: Shutterstock's CSV help says the 1 or 2 categories "must be
// selected from this list"; the names below are the list as reproduced by
// public keywording tools (third-party). Video uses a shorter list.
func shutterstockCategoryNames() []string {
	return []string{
		"Abstract", "Animals/Wildlife", "Arts", "Backgrounds/Textures",
		"Beauty/Fashion", "Buildings/Landmarks", "Business/Finance",
		"Celebrities", "Education", "Food and drink", "Healthcare/Medical",
		"Holidays", "Industrial", "Interiors", "Miscellaneous", "Nature",
		"Objects", "Parks/Outdoor", "People", "Religion", "Science",
		"Signs/Symbols", "Sports/Recreation", "Technology", "Transportation",
		"Vintage",
	}
}

func commonForbidden() []string {
	return []string{
		"brand names, logos and trademarks",
		"names of real people",
		"camera and lens data (make, model, f-number, ISO, focal length)",
		"URLs, e-mail addresses and file names",
		"the name of the AI tool or model",
	}
}

// builtin builds the profiles afresh on every call, so that no caller can
// change what another sees (no global mutable state).
func builtin() []*Profile {
	adobeCats := make([]Category, 21)
	for i, n := range adobeCategoryNames() {
		adobeCats[i] = Category{Code: fmt.Sprint(i + 1), Name: n}
	}
	ssCats := make([]Category, 0, 26)
	for _, n := range shutterstockCategoryNames() {
		ssCats = append(ssCats, Category{Code: n, Name: n})
	}
	return []*Profile{
		{
			Name: "adobe", DisplayName: "Adobe Stock",
			Aliases: []string{"adobestock", "adobe-stock", "fotolia"},
			// Adobe takes metadata in one language per file, any of many.
			TitleMax: 70, // Adobe CSV requirements: 70 characters
			// The portal takes 49 keywords, the CSV 50; 49 fits both.
			KeywordsMin: 1, KeywordsMax: 49, TopKeywords: 10,
			TitleForbiddenChars: ",", // "Titles must be free of commas" (Adobe CSV help)
			Categories:          adobeCats, CategoriesMin: 0, CategoriesMax: 1,
			AI:        AIAccepted,
			AIFlag:    `tick "Created using generative AI tools" on upload; do not write "generative AI" in the title or keywords`,
			Forbidden: slices.Concat(commonForbidden(), []string{"artist names, fictional characters"}),
			CSV: &CSVFormat{
				Columns: []Column{
					{"Filename", FieldFile}, {"Title", FieldTitle},
					{"Keywords", FieldKeywords}, {"Category", FieldCategory},
					{"Releases", FieldReleases},
				},
				Comma: ',', KeywordSep: ", ", CategorySep: ",",
				MaxRows: 5000, MaxBytes: 1 << 20, FilenameMax: 30,
			},
		},
		{
			Name: "shutterstock", DisplayName: "Shutterstock",
			Aliases:   []string{"sstk", "ss"},
			Languages: []string{"en"}, EnglishOnly: true, ASCIIOnly: true,
			TitleMax:    200, // third-party figure
			KeywordsMin: 7, KeywordsMax: 50,
			Categories: ssCats, CategoriesMin: 1, CategoriesMax: 2,
			AI:        AINotAccepted,
			Forbidden: commonForbidden(),
			CSV: &CSVFormat{
				// Shutterstock calls the title "Description".
				Columns: []Column{
					{"Filename", FieldFile}, {"Description", FieldTitle},
					{"Keywords", FieldKeywords}, {"Categories", FieldCategories},
					{"Illustration", FieldIllustration},
					{"Mature Content", FieldMature}, {"Editorial", FieldEditorial},
				},
				Comma: ',', KeywordSep: ",", CategorySep: ",",
			},
		},
		{
			Name: "getty", DisplayName: "Getty Images / iStock",
			Aliases:   []string{"istock", "gettyimages", "istockphoto", "getty-istock"},
			Languages: []string{"en"}, EnglishOnly: true,
			// Literal titles; keywords from Getty's controlled vocabulary.
			KeywordsMax: 50,
			// Getty's statement (2022, reported by the press) and iStock's
			// contributor requirements: generative-AI files are not accepted.
			AI:        AINotAccepted,
			Forbidden: commonForbidden(),
			// Submitted through Getty's own tool, which reads embedded
			// metadata (photoshop:Headline as the title): no CSV.
		},
		{
			Name: "freepik", DisplayName: "Freepik",
			AI:        AIAccepted,
			AIFlag:    "fill the Prompt and Model columns of the CSV",
			Forbidden: commonForbidden(),
			CSV: &CSVFormat{ // third-party figures
				Columns: []Column{
					{"Filename", FieldFile}, {"Title", FieldTitle},
					{"Keywords", FieldKeywords}, {"Prompt", FieldPrompt},
					{"Model", FieldModel},
				},
				Comma: ';', KeywordSep: ",", CategorySep: ",",
			},
		},
		{
			Name: "vecteezy", DisplayName: "Vecteezy",
			Forbidden: commonForbidden(),
			CSV: &CSVFormat{ // third-party figures; License is free, pro or editorial
				Columns: []Column{
					{"Filename", FieldFile}, {"Title", FieldTitle},
					{"Description", FieldDescription}, {"Keywords", FieldKeywords},
					{"License", FieldLicense},
				},
				Comma: ',', KeywordSep: ",", CategorySep: ",",
			},
		},
		{
			Name: "dreamstime", DisplayName: "Dreamstime",
			Aliases:  []string{"dt"},
			TitleMin: 5, TitleMax: 250, // third-party figures
			KeywordsMin: 7, KeywordsMax: 50,
			Forbidden: commonForbidden(),
			CSV: &CSVFormat{ // third-party figures; Category is Dreamstime's numeric id
				Columns: []Column{
					{"Filename", FieldFile}, {"Title", FieldTitle},
					{"Description", FieldDescription}, {"Keywords", FieldKeywords},
					{"Category", FieldCategory},
				},
				Comma: ',', KeywordSep: ",", CategorySep: ",",
			},
		},
		{
			Name: "pond5", DisplayName: "Pond5",
			Languages: []string{"en"}, EnglishOnly: true,
			TitleMin: 40, TitleMax: 80,
			// 5-50 keywords; 10-20 work best.
			KeywordsMin: 5, KeywordsMax: 50, TopKeywords: 20,
			Forbidden: commonForbidden(),
			// Pond5's CSV workflow is documented only by third parties, and
			// its columns are not recorded here: use sidecars or embedding.
		},
		{
			Name: "envato", DisplayName: "Envato",
			Aliases:  []string{"envatoelements", "envato-elements"},
			TitleMax: 100, KeywordsMax: 50, KeywordMaxLen: 100,
			LowercaseKeywords: true,
			ForbiddenChars:    "!#$%()*<=>?@{}[]^~",
			Forbidden:         commonForbidden(),
		},
		{
			Name: "depositphotos", DisplayName: "Depositphotos",
			Aliases:   []string{"deposit", "dp"},
			Languages: []string{"en"}, EnglishOnly: true,
			AI:        AINotAccepted,
			Forbidden: commonForbidden(),
		},
		{
			Name: "123rf", DisplayName: "123RF",
			Aliases: []string{"onetwothreerf"},
			// 123RF's FAQ asks for keywords in English only and forbids
			// camera brands, company and product names in description and
			// keywords.
			Languages: []string{"en"}, EnglishOnly: true,
			Forbidden: commonForbidden(),
		},
	}
}
