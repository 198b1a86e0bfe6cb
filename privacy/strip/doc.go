// Package strip removes embedded metadata from images, so that what goes
// to an AI provider is the picture and nothing that identifies the person
// or the file.
//
// # The promise
//
// AI providers get the content and nothing that identifies the user or the
// file: a stripped file carries no GPS position, no camera or lens serial
// number, no owner, artist or creator name, no editing history, comment or
// embedded thumbnail. What is kept is only what is needed to show the same
// picture: the compressed image data, the colour profile and the
// orientation.
//
// # Stripping
//
// [Bytes] removes EXIF (GPS position, camera serial numbers, maker notes,
// thumbnails), XMP, IPTC and Photoshop blocks, comments and text chunks
// from JPEG, PNG and WebP files without re-encoding them: the compressed
// image data is copied byte for byte, so the file decodes to exactly the
// same pixels, and it never grows. [Read] does the same for an image read
// from an [io.Reader], with a size limit. The ICC colour profile
// is kept, and so is the orientation: when the source says the picture
// must be rotated (EXIF Orientation 2–8), a new, minimal EXIF block holding
// that one tag and nothing else is written. [Options] can drop either. The
// same rule applies to PNG (eXIf chunk) and WebP (EXIF chunk), although
// not every PNG or WebP viewer honours the orientation there.
//
// # What each format keeps
//
//   - JPEG: all non-APPn segments and the scan data, APP0 "JFIF", APP2
//     "ICC_PROFILE" (every chunk), APP14 "Adobe" (it selects the colour
//     transform). Everything else in APP0–APP15, every COM segment and
//     anything after EOI is dropped (APP2 MPF and FlashPix included).
//   - PNG: critical chunks and the rendering chunks tRNS, gAMA, cHRM,
//     sRGB, iCCP, sBIT, bKGD, pHYs, cICP, mDCV, cLLI and the APNG chunks.
//     tEXt, zTXt, iTXt, eXIf, tIME and unknown ancillary chunks are dropped,
//     as is anything after IEND. The CRC of every kept chunk is checked.
//   - WebP: VP8X, VP8, VP8L, ALPH, ANIM, ANMF and ICCP; EXIF, XMP and unknown
//     chunks are dropped, the VP8X flags are cleared to match and the RIFF
//     size is fixed.
//
// # Errors
//
// The parsers follow the decoders' own leniency, so a file that Go's
// decoders accept is always stripped. Damaged files give an error matching
// [ErrMalformed] (a [*FormatError], code InvalidMedia); other content
// gives [ErrUnsupportedFormat] (UnsupportedMedia); input over the limit
// gives [ErrTooLarge]. Bytes never panics on any input (fuzzed), and no
// error holds image bytes.
//
// # Concurrency
//
// Every function here is safe for concurrent use.
package strip

//go:generate go run ./internal/fixturegen -samples ../../testdata/samples -out testdata
