// Package driver defines the interface between privacy.Subjects and the
// stores that keep what the service holds about a person beyond the
// credit ledger: contacts, pseudonyms and pending customer-match
// removals.
//
// Users do not call a store: they open one (privacy/contactstore, or
// store.Open, which opens it beside the credit ledger) and hand it to
// privacy.Subjects, which validates every request and gives driver errors
// their code. This package is for those who write a store.
//
// # Contract
//
// Implementations are safe for concurrent use, and each method is atomic.
// Times come from the caller; a store never reads the clock. A method
// returns the context's error when ctx is done. Errors are returned as
// they are: privacy.Subjects wraps each once, with code Unavailable unless
// it carries a code of its own.
//
// The records are minimised before they reach a store: no plain e-mail
// address or phone number ever does, only the customer-match hashes.
package driver
