// Package custmatch prepares customer-match lists for ad platforms:
// hashed e-mail addresses and phone numbers, added only with consent and
// removed when consent goes.
//
// # The promise
//
// Hashed e-mail addresses go to an ad platform only with consent, never
// for a child, and an opt-out is honoured. A [Builder] adds a contact only
// when both of Google's consent signals (ad_user_data and
// ad_personalization) are granted; a contact who opted out, was erased,
// denied a signal or is known to be under the [agegate.Gate]'s minimum age
// is removed instead. Customer lists do not expire, so a removal is the
// only way off them, and a removal wins over an addition that shares an
// identifier. Plain addresses and numbers are never uploaded, only their
// SHA-256 hashes.
//
// # Hashing
//
// [HashEmail] and [HashPhone] produce the hex SHA-256 digests ad platforms
// accept for customer lists. E-mail normalization is versioned
// ([EmailRules]): [EmailRulesGoogle2025] follows Google's published rules
// (lower case, no whitespace, dots removed before the '@' for gmail.com and
// googlemail.com only); [EmailRulesGmailCanonical] also drops "+suffix"
// for de-duplication. Phone numbers are parsed with libphonenumber rules
// (github.com/nyaruka/phonenumbers) into E.164.
//
// # Building an upload
//
// [Builder.Build] sorts [Contact]s into an [Upload]: additions, removals
// for people who opted out, were erased, withdrew consent or are known to
// be under age, and the exclusions with their [Reason]. Consent is
// required everywhere by default;
// [Builder.AllowWithoutConsentOutsideEEA] is the explicit opt-in that adds
// never-asked contacts outside the EEA. [WriteCSV] writes Google Ads'
// "Email,Phone" file. privacy.Subjects.CustomerMatch builds the upload
// from the contacts the service keeps.
//
// # Errors
//
// [ErrInvalidEmail], [ErrInvalidPhone], [ErrUnknownEmailRules] and
// [ErrUnknownConsentState] have code InvalidArgument; no error holds an
// address or a number.
//
// # Concurrency
//
// Every function and type here is safe for concurrent use (a Builder as
// long as its AgeGate's ByCountry map is not modified).
package custmatch
