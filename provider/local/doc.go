// Package local is picfre's offline provider: it answers without a network,
// an API key or a language model, by measuring the pixels of each image and
// putting what it measured into plain words. It is the default when no API
// key is configured, and it bills nothing.
//
// # What it can see
//
// Each image is reduced to at most 256 pixels on its long edge (see
// [Options.GridSize]) and measured:
//
//   - orientation: landscape, portrait, square, panoramic;
//   - dominant colours, by a deterministic k-means in CIE L*a*b*, named
//     red, orange, yellow, olive, green, teal, blue, purple, pink, brown,
//     beige, white, gray or black;
//   - light: brightness (dark / low key, bright / high key), contrast,
//     clipped shadows and highlights;
//   - colour: colourfulness (vivid, muted), black and white or a single
//     tint (sepia), including greyscale PNGs; warm or cool temperature;
//   - composition: detail and edge density over a 6×6 division of the
//     frame, copy space (large calm areas along a side, in a corner or
//     across the top or bottom) and where it is, detail concentrated in
//     the centre (a close-up with a blurred background), left–right
//     symmetry;
//   - surface: even texture over the whole frame, regular repetition
//     (pattern), smooth gradients and flat solid colour;
//   - two guesses from those measures: many small bright points on a dark
//     ground (a star field: night, stars, space) and a calm blue top third
//     over a different bottom (sky).
//
// [Analyze] returns these measures as an [Analysis]; its methods word them
// as a title, a description, keywords, categories and a reverse prompt.
//
// # What it cannot see
//
// It does not recognise anything. It cannot tell objects, animals, people,
// faces, places, landmarks, text, logos or brands, and it cannot tell a
// photograph from an illustration. Its titles and keywords therefore
// describe visual qualities — "Vivid red and orange image in warm tones",
// "Black and white abstract texture", "Bright minimal background with copy
// space on the left" — never subjects. A cat on a wooden floor is "brown
// and beige"; a portrait against a grey wall may be "gray image with copy
// space on the right". "Sky" and "stars" are guesses from colour and
// layout, not recognitions. For keywords that buyers search by subject,
// use a model-backed provider.
//
// # Requests and answers
//
// [Provider.Generate] takes the requests the pipeline builds: one or more
// items, each with one or more JPEG, PNG or GIF image parts, and answers
// with exactly the JSON the request's [provider.Spec] asks for
// (title, description, keywords and categories, or a prompt; several items
// under the "items" key), within its keyword counts and its title and
// description limits (a description too long loses its second sentence).
// Text parts, including the instructions and the user's context, are
// ignored: there is no language model to read them.
//
// The provider declares [provider.Capabilities].Pixels: when an image part
// carries [provider.Part].Image (the pipeline's prepared pixels, which its
// Data encodes), those pixels are analysed directly and Data is not
// decoded; otherwise Data is decoded as before.
//
// Several images for one item are the frames of a video. They are analysed
// together: colours and tone pooled over all frames, copy space only where
// every frame is calm, the change between frames as motion or stillness,
// and the shape measures (pattern, symmetry, stars, sky) from the middle
// frame.
//
// Audio, video and other non-image parts fail with [provider.Unsupported];
// an item without an image, an image that does not decode, or one with
// more pixels than [Options.MaxPixels] fails with [provider.InvalidRequest].
//
// # Language
//
// The provider writes English only, with the American spelling stock
// agencies search by ("gray", "color"). When [provider.Spec.Language] asks
// for another language it still answers in English. When
// [provider.Spec.SecondLanguage] is set, "keywords_second" repeats the
// keywords for an English second language and is an empty list for any
// other.
//
// # Cost, speed and concurrency
//
// Usage is always zero tokens and [provider.Capabilities.ImageCost] is zero:
// nothing is billed. Analysing a 1024-pixel image takes a few milliseconds
// after decoding; the work is deterministic, so the same image always gets
// the same answer. A [Provider] holds no mutable state and is safe for
// concurrent use; Generate checks its context between items and during
// analysis.
package local
