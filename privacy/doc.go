// Package privacy holds the storage-free privacy tools of picfre: removing
// embedded metadata from images, hashing contact details for an ad
// platform's customer matching, keyed pseudonyms, and an age gate.
//
// # Stripping image metadata
//
// [Strip] removes EXIF (GPS position, camera serial numbers, maker notes,
// thumbnails), XMP, IPTC and Photoshop blocks, comments and text chunks
// from JPEG, PNG and WebP files without re-encoding them: the compressed
// image data is copied byte for byte, so the file decodes to exactly the
// same pixels, and it never grows. The ICC colour profile is kept, and so
// is the orientation: when the source says the picture must be rotated
// (EXIF Orientation 2–8), Strip writes a new, minimal EXIF block holding
// that one tag and nothing else. [StripOptions] can drop either. The same
// rule applies to PNG (eXIf chunk) and WebP (EXIF chunk), although not
// every PNG or WebP viewer honours the orientation there.
//
// What each format keeps:
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
// The parsers follow the decoders' own leniency, so a file that Go's
// decoders accept is always stripped. Damaged files give an error matching
// [ErrMalformed]; other content gives [ErrUnsupportedFormat]. Strip never
// panics on any input (fuzzed).
//
// # Customer matching
//
// [HashEmail] and [HashPhone] produce the hex SHA-256 digests ad platforms
// accept for customer lists. E-mail normalization is versioned
// ([EmailRules]): [EmailRulesGoogle2025] follows Google's published rules
// (lower case, no whitespace, dots removed before the '@' for gmail.com and
// googlemail.com only). Phone numbers are parsed with libphonenumber rules
// (github.com/nyaruka/phonenumbers) into E.164.
//
// [CustomerMatchBuilder] turns contacts into an [Upload]: additions, and
// removals for people who opted out, were erased, withdrew consent or are
// known to be under age (customer lists do not expire, so a removal is the
// only way off them). In the EEA a missing consent signal counts as denied.
// [WriteCustomerMatchCSV] writes Google Ads' "Email,Phone" file.
//
// # Pseudonyms
//
// [Pseudonymizer] makes keyed pseudonyms, "keyid:hex(HMAC-SHA-256)",
// with key rotation that keeps old pseudonyms matchable.
//
// # Age gate
//
// [AgeGate] answers whether a date of birth meets the minimum age (13 by
// default, configurable per country), with calendar-correct birthdays.
//
// # Concurrency
//
// Every function and type here is safe for concurrent use.
package privacy

//go:generate go run ./internal/fixturegen -samples ../testdata/samples -out testdata
