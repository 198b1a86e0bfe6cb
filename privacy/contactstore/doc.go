// Package contactstore opens the stores that keep what the service holds
// about a person beyond the credit ledger — the customer-match hashes,
// consent, opt-out and age check of each contact, the pseudonyms kept,
// and the hashes waiting to be removed from customer lists — for
// privacy.Subjects.
//
// # The promise
//
// The stores keep the minimum the privacy promises need and no more: no
// plain e-mail address or phone number, only their hashes; a date of birth
// only while the person is under age (to keep them off customer lists);
// the hashes of an erased or corrected contact only until the next
// customer-match upload has taken their removal. Everything they keep
// about an account is exported and erased by privacy.Subjects.
//
// # Opening a store
//
// [NewMemory] keeps everything in memory (tests, single-process
// programs). [OpenSQL] keeps it in SQLite or PostgreSQL, in privacy_*
// tables beside the credit ledger's, over a *sql.DB the caller owns;
// store.Open opens it over the ledger's own database, which is what most
// programs want. Both return a [driver.ContactStore]: hand it to
// privacy.Subjects and do not call it.
//
// # Concurrency
//
// Every store is safe for concurrent use, and the SQL store also by
// several processes over one database; each operation is one transaction.
package contactstore
