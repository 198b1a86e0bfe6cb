// Package privacy answers data subjects' requests over everything picfre
// holds about an account: a copy of the data (Export), its correction
// (Correct) and its erasure (Erase), and builds customer-match uploads
// from what it keeps.
//
// # The promise
//
// Users can get a copy of their data, correct it and erase it. For each
// processed file only its name and the time are recorded (with the
// credits charged), and deleted after the retention policy's period —
// three calendar months by default; top-up records are kept, as
// bookkeeping law requires. A job's records (names, times, states,
// codes) are kept like the usage records; its files only until each is
// processed, and its results until fetched, at most for the job service's
// result lifetime. The export states exactly this, from the configured
// [retention.Policy], to the person it is about.
//
// # Requests
//
// A [Subjects] works over two stores, and the job service when there is
// one ([JobStore], (*jobs.Service)): the credit ledger (metering) and a
// contact store ([driver.ContactStore], from store.Open's
// (*store.DB).Contacts or privacy/contactstore), which keeps per account
// a minimised record: the customer-match hashes of the e-mail address and
// phone number (never the plain values), the consent signals, the opt-out
// flag and the age gate's answer — a date of birth only while the person
// is under age, so that they stay off customer lists — and the keyed
// pseudonyms the service recorded with [Subjects.KeepPseudonym].
//
//   - [Subjects.Export]: everything held — top-ups, refunds and
//     adjustments, usage records, the attempts that were not charged
//     (failed or abandoned holds), balance, the sums of purged records,
//     job records ([ExportJob]: never content or results), contact and
//     consent, pseudonyms — as versioned JSON
//     ([ExportVersion]), with a statement of what is kept, why and until
//     when ([Retained]), and of what is never stored. The kinds are
//     [retention.Kind] values.
//   - [Subjects.Correct]: contact and consent correction, atomic;
//     addresses are hashed at once, and a replaced or deleted address or
//     number is queued for removal from customer lists.
//   - [Subjects.Erase]: cancels and deletes the account's jobs with their
//     content and held results, deletes usage records (their debits folded into
//     the balance rollup), the records of uncharged attempts, the contact,
//     consent and pseudonyms; keeps top-ups, refunds, adjustments and the
//     balance, which bookkeeping law requires (GDPR art. 17(3)(b));
//     reports exactly what was deleted and kept ([ErasureReport]). An
//     account under a legal hold is refused whole. The idempotency
//     records go with the usage records, so running the same files again
//     afterwards is billed again ([NoteRebilled]).
//
// # Customer matching
//
// Customer lists do not expire, so an erased person's hashes, and hashes
// a correction replaced or deleted, move, without the account, to a queue
// of pending removals. [Subjects.CustomerMatch] builds the next upload
// with privacy/custmatch's rules (consent required, children and opt-outs
// removed) and puts the queued removals in it; [Subjects.AckRemovals]
// forgets them once the removals were handed over.
//
// # The other privacy packages
//
//   - privacy/strip removes identifying metadata from images before they
//     reach an AI provider.
//   - privacy/custmatch hashes contact details and builds customer-match
//     uploads under consent.
//   - privacy/agegate decides from a date of birth whether a person is old
//     enough.
//   - privacy/pseudonym makes keyed pseudonyms.
//   - privacy/contactstore opens contact stores; privacy/driver is the
//     interface they implement.
//
// # Errors
//
// [ErrInvalidAccount] (InvalidArgument) for an unusable account; invalid
// corrections give custmatch's or agegate's errors (InvalidArgument);
// erasing an account under a legal hold gives metering.ErrLegalHold
// (FailedPrecondition); a store failure has code Unavailable. Every error
// answers errcode.Of, and none holds an e-mail address or phone number.
//
// # Concurrency
//
// A Subjects whose fields are not changed after first use is safe for
// concurrent use.
package privacy
