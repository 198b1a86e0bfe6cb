// Package media is picfre's image handling layer: it recognises an upload
// from its content, refuses what is too big before decoding it, and turns
// what it accepts into a small, upright, metadata-free JPEG for a vision
// model.
//
// # Recognition
//
// [Sniff] looks at the first bytes only; the file name and any declared
// content type are never trusted. JPEG, PNG, GIF, WebP, BMP and TIFF are
// supported. Anything else, including recognised formats such as HEIC or
// PDF, is refused with an [*Error] of [KindUnsupported].
//
// [Detect] recognises everything picfre handles, not only images: it adds
// video (MP4, MOV, WebM, Matroska, AVI), audio (WAV, MP3, FLAC, Ogg, M4A)
// and vector (SVG, EPS) formats, and [Format.Kind] tells which part of
// picfre processes a format. Probe, Decode and Prepare still take images
// only.
//
// # Limits before decoding
//
// [Probe] reads the headers by hand (PNG IHDR, JPEG SOFn, GIF logical
// screen, WebP VP8/VP8L/VP8X and every image chunk, BMP DIB header, TIFF
// IFD0) and enforces [Limits] on bytes, pixels and side length before a
// single pixel is decoded, so a 2 KB file declaring 50,000 × 50,000 pixels
// costs a few hundred bytes of work, not 10 GB. Only the first frame of a
// GIF is decoded, and frames larger than the logical screen are refused by
// the decoder, which bounds the work for animated GIFs too.
//
// # Orientation
//
// The EXIF Orientation tag is read from IFD0 of the EXIF data in a JPEG
// APP1 segment, a PNG eXIf chunk, a WebP EXIF chunk, or a TIFF file's own
// IFD0. The parser is bounded: it reads one IFD, follows no offset chains
// and allocates nothing from declared counts. [Decode] and [Prepare] apply
// all eight orientations.
//
// # Preparing for a provider
//
// [Prepare] decodes, scales down with a Catmull-Rom filter widened for
// antialiasing (large reductions start with a streamed integer box
// average), applies the orientation, flattens transparency onto white and
// encodes a baseline JPEG. Scaling runs on the decoder's own planes (YCbCr
// for JPEG), one source row at a time, so a 24-megapixel photograph never
// exists as a 96 MB RGBA copy. The output carries no metadata segment of
// any kind: no EXIF, XMP, IPTC, ICC profile or comment survives.
//
// JPEG files are decoded by picfre's own decoder, internal/jpegdec, at the
// smallest of 1/8, 1/4, 1/2 and full size whose long edge still reaches
// the size asked for: the reduction happens in the DCT domain, so a
// 24-megapixel photo prepared at 768 px is decoded straight to 1500×1000
// and never exists at full size; the filter does the rest. A JPEG jpegdec
// refuses (a variant it does not decode, or data it finds corrupt) is
// decoded at full size by image/jpeg instead, and [Prepared.Fallback] says
// why, for the caller's metrics; image/jpeg's verdict is final.
//
// # Errors
//
// Every refusal is an [*Error] whose [Kind] says whether the input is
// invalid (empty, corrupt, truncated), unsupported, or too large. Messages
// never contain bytes of the media.
//
// # Concurrency
//
// The package has no state; every function is safe for concurrent use.
package media
