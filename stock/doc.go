// Package stock shapes metadata for stock agencies and writes it where
// the agencies read it: upload CSVs, and XMP and IPTC inside the files.
//
// # Agency profiles
//
// Lookup returns the [Profile] of an agency by name or alias ("adobe",
// "shutterstock", "istock", "123rf", ...); Profiles lists them all. A
// profile records title and description limits, keyword counts,
// language and character rules, the category list (Adobe's 21 numbered
// categories, Shutterstock's names), whether AI-generated content is
// accepted and how it is flagged, what must not be mentioned, and the
// upload CSV format. Figures from third parties rather than the agency
// are marked so in the source; check them before relying on them.
//
// # Prompt and normalization
//
// A profile shapes both ends of a model call. [Guidance] (or
// [PromptGuidance]) gives the sentences to add to the model's
// instructions: language, limits, categories, the user's required and
// excluded keywords and context. [Normalize] then cleans what came back
// and reports each [Problem], fixed or not: one-line text, no URLs,
// camera data or AI-provider names, the agency's forbidden characters,
// accents folded where only English letters are allowed, duplicate and
// excluded keywords dropped, required keywords first, titles cut at a
// word boundary. [NormalizeKeywords] does the keyword part without an
// agency. [Rules] carries the user's controls; where a rule and a
// profile both limit something, the stricter limit wins. Text in a
// language other than English is never folded to ASCII unless the
// agency demands English.
//
// # CSV
//
// [NewCSVWriter] writes an agency's upload CSV with its exact header,
// delimiter and BOM rule. Every cell passes through [SafeCell]: line
// breaks become spaces and a cell a spreadsheet would take for a formula
// gets a leading apostrophe, so a hostile file name cannot break a row or
// inject a formula. [NewSplitWriter] starts a new file before an agency's
// row or size limit (Adobe: 5,000 rows, 1 MB).
//
// # Metadata in files
//
// [WriteJPEG] writes XMP (dc:title, dc:description, dc:subject,
// photoshop:Headline) and its IPTC IIM mirror (ObjectName, Headline,
// Caption-Abstract, Keywords, UTF-8 declared) into a JPEG in memory,
// keeping EXIF, other XMP properties, other IPTC datasets and Photoshop
// resources, and copying the compressed image data byte for byte.
// [ReadJPEG] and [ReadXMP] read the same fields back. [WriteSidecar]
// writes a standalone .xmp for video, RAW and other files; [MergeXMP]
// updates an existing sidecar. Malformed input gives a [*FormatError]
// wrapping [ErrInvalidJPEG], [ErrInvalidXMP] or [ErrInvalidIPTC], never a
// panic.
//
// # Near-duplicates
//
// [DHash] and [Hamming] find files of a batch that look alike and
// [GroupSimilar] groups them, so that they can be described together;
// [DistinctTitles] then makes their titles unique and [RotateKeywords]
// gives each its own keyword order while the top keywords stay on top.
//
// # Concurrency
//
// Every function is safe for concurrent use; profiles are returned as
// fresh copies. A [CSVWriter] or [SplitWriter] is for one goroutine.
package stock
