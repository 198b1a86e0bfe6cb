// Package metering bills processed files: the [Hook] the pipeline calls to
// authorize, capture and void credits, the [Event] recorded for each file,
// and the credit ledger behind them.
//
// # The billing cycle
//
// For each file the pipeline calls Authorize before any provider is
// called, then exactly one of Capture (the file succeeded) or Void (it
// failed, was cancelled or panicked). A file that fails therefore costs
// nothing, and an idempotency key makes a re-run charge nobody twice.
//
// # What is recorded
//
// An [Event] holds the account, the file's name, the time, the task, the
// credits, and the provider's model and token counts. Content and
// generated metadata are never part of it.
package metering
