// Package privacy holds the privacy tools of picfre: removing embedded
// metadata from images, hashing contact details for an ad platform's
// customer matching, keyed pseudonyms, an age gate, and the data subjects'
// rights of access, rectification and erasure over what the service
// keeps.
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
// only way off them). A contact is added only when both consent signals
// (ad_user_data and ad_personalization) are granted — everywhere by
// default; [CustomerMatchBuilder.AllowWithoutConsentOutsideEEA] is the
// explicit opt-in that adds never-asked contacts outside the EEA.
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
// # What is stored, and data subjects' rights
//
// A [Store] ([NewMemStore], or [OpenSQLStore] over SQLite or PostgreSQL,
// in privacy_* tables beside the credit ledger) keeps, per account, a
// minimised [ContactRecord]: the customer-match hashes of the e-mail
// address and phone number (never the plain values), the consent signals,
// the opt-out flag and the age gate's answer — a date of birth only while
// the person is under age, so that they stay off customer lists — and any
// keyed [Pseudonym] the service derived.
//
// [Subjects] answers requests over that store and the credit ledger
// (metering.Store):
//
//   - Export: everything held — top-ups, refunds, usage records, the
//     attempts that were not charged (failed or abandoned holds), balance,
//     the sum of purged usage, contact and consent, pseudonyms — as
//     versioned JSON ([ExportVersion]), with a statement of what is kept,
//     why and until when, and of what is never stored.
//   - Correct: contact and consent correction, atomic
//     ([Store.UpdateContact]); addresses are hashed at once, and a
//     replaced or deleted address or number is queued for removal.
//   - Erase: deletes usage records (their debits folded into the balance
//     rollup), the contact, consent and pseudonyms; keeps top-ups, refunds
//     and the balance, which bookkeeping law requires (GDPR art. 17(3)(b));
//     reports exactly what was deleted and kept. An account under a legal
//     hold is refused whole. The idempotency records go with the usage
//     records, so running the same files again afterwards is billed again
//     ([NoteRebilled]).
//
// Customer lists do not expire, so an erased person's hashes, and hashes a
// correction replaced or deleted, move, without the account, to a queue of
// pending removals; [Subjects.CustomerMatch]
// puts them in the next upload's removals, and [Store.AckRemovals] forgets
// them once the removals were handed over.
//
// # Concurrency
//
// Every function and type here is safe for concurrent use.
package privacy

//go:generate go run ./internal/fixturegen -samples ../testdata/samples -out testdata
