// Package agegate decides from a date of birth whether a person is old
// enough, so that the service keeps children off ad platforms' customer
// lists.
//
// # The promise
//
// Hashed e-mail addresses go to an ad platform never for a child: a person
// known to be under the minimum age is not added to a customer list, and
// is removed from one (privacy/custmatch applies the [Gate]; the privacy
// package keeps the verdict). The gate is a neutral age screen: it asks
// for the date of birth, never for an "I am old enough" answer.
//
// # Ages
//
// [Age] counts whole years between two calendar dates, with birthdays on
// 29 February falling on 1 March in common years (the later reading, so
// the safe one for a gate). [Gate.Allowed] compares the age with the
// minimum for the person's country: [DefaultMinimumAge] (13, where COPPA
// applies and below which ad platforms forbid customer matching) unless
// [Gate.Default] or [Gate.ByCountry] say otherwise, for example 16 where
// the service relies on consent under GDPR art. 8 in a country that sets
// that age.
//
// # Errors
//
// An unknown (zero) date of birth gives [ErrBirthDateUnknown], one after
// the current date [ErrBirthDateInFuture]; both have code InvalidArgument,
// and the answer is then false.
//
// # Concurrency
//
// [Age] is safe for concurrent use, and so is a [Gate] as long as its
// ByCountry map is not modified.
package agegate
