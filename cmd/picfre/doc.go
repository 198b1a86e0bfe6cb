// Command picfre tags stock media with titles, descriptions and keywords,
// writes reverse prompts, runs the billing, retention and privacy
// operations of the picfre SDK from the command line, and runs the online
// service's durable jobs and the workers that process them.
//
// # Usage
//
//	picfre tag [flags] PATH...        files or folders (recursive)
//	picfre prompt [flags] PATH...     reverse prompts
//	picfre credits topup|balance|history
//	picfre jobs submit|status|results|cancel|delete|purge
//	picfre worker                     works queued jobs until SIGINT or SIGTERM
//
// Run "picfre help" or "picfre tag -h" for the flags. With no API key in
// the environment the offline provider "local" is used: nothing leaves the
// machine.
//
// # Exit status
//
// 0 when every file succeeded, 1 when any file failed (the batch still
// processes every other file) or the command failed, 2 for a usage error.
// A failed jobs command prints its error code ("not_found") before the
// message.
package main
