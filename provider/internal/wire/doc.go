// Package wire holds what the HTTP drivers of picfre share below their
// SDKs.
//
// # Transport
//
// [Transport] sends only allowed headers (so no ambient SDK setting can add
// an organization, project or workspace header that names the account),
// sets the credential itself, and records the status, headers and, for
// failures, the body of each answer into the [Exchange] of the request's
// context. Drivers classify errors from that real error JSON instead of an
// SDK's error text, which may quote URLs and whole bodies.
//
// # Safe messages
//
// [Safe] cuts a provider's message short and removes secrets;
// [TransportError] classifies failures that produced no HTTP answer.
package wire
