// Command picfre tags stock media with titles, descriptions and keywords,
// writes reverse prompts, and runs the billing, retention and privacy
// operations of the picfre SDK from the command line.
//
// # Usage
//
//	picfre tag [flags] PATH...        files or folders (recursive)
//	picfre prompt [flags] PATH...     reverse prompts
//	picfre credits topup|balance|history
//
// Run "picfre help" or "picfre tag -h" for the flags. With no API key in
// the environment the offline provider "local" is used: nothing leaves the
// machine.
//
// # Exit status
//
// 0 when every file succeeded, 1 when any file failed (the batch still
// processes every other file), 2 for a usage error.
package main
