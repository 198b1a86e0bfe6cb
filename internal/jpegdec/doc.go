// Package jpegdec is picfre's own JPEG decoder, written from ITU T.81,
// with reduced-size decoding for making thumbnails of camera photos
// quickly. The standard library's image/jpeg stays the fallback for what
// this package refuses.
//
// # Supported
//
// Baseline and extended sequential (SOF0, SOF1) and progressive (SOF2)
// Huffman-coded JPEGs with 8-bit samples: spectral selection and
// successive approximation, DC and AC, first and refinement scans;
// interleaved and non-interleaved scans; restart intervals.
//
// Components and output types, as image/jpeg returns them:
//
//   - 1 component: *image.Gray (its sampling factors are ignored, as T.81
//     A.2 says a single component is non-interleaved).
//   - 3 components: *image.YCbCr with planes not upsampled, for 4:4:4,
//     4:2:2, 4:2:0, 4:4:0, 4:1:1 and 4:1:0 (each chroma factor 1 or
//     luma's); *image.RGBA when the file is RGB (Adobe APP14 transform 0,
//     or component ids 'R','G','B' without JFIF), all factors equal.
//   - 4 components with an Adobe APP14 segment, factors 1,1,1,1 or
//     2,1,1,2: *image.CMYK. Transform 0 is stored inverted CMYK; any other
//     transform is YCCK: YCbCr converted to RGB stands for C, M, Y and K
//     is inverted (image/jpeg's rules).
//
// Anything else is refused with an *Error of KindUnsupported: 12-bit
// samples, arithmetic coding, lossless and hierarchical frames, DNL
// (height 0), 2 components, other sampling layouts, and progressive files
// whose first scan is not a DC first scan. So are some defects image/jpeg
// reads its own way, so that its result, not a different guess, is the
// caller's: over-subscribed Huffman tables, an end-of-band run that
// outlasts its scan, a successive approximation shift above 13. Other
// corrupt or truncated data gives KindInvalid, never a panic; a scan that
// needs bits beyond its data is truncated, as image/jpeg also finds.
// Sequential scans honour EOBn symbols as end-of-band runs, as image/jpeg
// does.
//
// # Accuracy
//
// At Scale 1 the inverse DCT is computed with exact cosines at 15
// fractional bits and 64-bit intermediates, which is the real-valued
// IDCT rounded except within about 2^-10 of a rounding boundary. Plane
// samples agree with image/jpeg's within ±1 (about 1 % of samples differ
// by 1). YCCK output goes through a colour conversion after the IDCT, so
// there ±1 in a plane becomes up to ±3 in a channel.
//
// Options.Scale 2, 4 and 8 give ceil(w/Scale) × ceil(h/Scale) images
// whose planes are decoded with a 4-point, 2-point or 1-point (DC only)
// IDCT. The coefficients are folded at dequantisation so that each output
// sample is exactly the mean of its 2×2, 4×4 or 8×8 box of the full-size
// IDCT before rounding and clipping. Measured against image/jpeg's full
// decode box-filtered, on the 24-megapixel benchmark photo (bench_test.go),
// mean absolute difference / maximum per plane: Scale 2 luma 0.17 / 5,
// chroma 0.08 / 1; Scale 4 luma 0.08 / 2, chroma 0.03 / 1; Scale 8 luma
// 0.06 / 1, chroma 0.02 / 1. The maximum grows (tens of levels on
// synthetic low-quality files) only where the full decode clips ringing
// at 0 or 255, as the box of clipped samples is not the clipped box, and
// in partial boxes at the right and bottom edges, where the mean also
// covers the block padding. The subsampled
// chroma of 4-component files is decoded at twice the scale, since the
// CMYK output is interleaved at full resolution.
//
// # Speed and memory
//
// The entropy decoder keeps a 64-bit bit buffer refilled eight bytes at
// a time when none of them is 0xFF, and a 10-bit lookup table per Huffman
// table that yields, for most AC codes, the code length, the zero run and
// the sign-extended coefficient at once.
//
// Sequential files are decoded MCU by MCU straight into the output planes
// of the requested size: memory is the output image (padded to whole
// blocks) plus the input. Progressive files keep coefficients until the
// last scan. At Scale 1 that is 64 int16 and a 64-bit nonzero mask per
// block (76 MB for a 24-megapixel 4:2:0 photo). At reduced scales a block
// keeps its DC, a nonzero mask and a sign mask (what the refinement scans
// need) and the AC coefficients already folded and dequantized into the
// 16, 4 or 1 inputs of the reduced IDCT: 82, 34 or 22 bytes per block
// (46, 19 and 12 MB for that photo, planes included). This needs the
// quantization tables fixed by the first scan; a DQT segment between
// progressive scans decoded at reduced scale is refused (KindUnsupported),
// as is a second first scan of the same coefficient. Nothing is allocated before the first scan header has been read
// and its data found long enough for one bit per block, so a header
// claiming 65535×65535 with a few bytes of data fails at once; callers
// still bound the pixel count before calling, as the allocation follows
// the frame header.
package jpegdec
