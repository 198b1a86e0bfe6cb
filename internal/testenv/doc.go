// Package testenv finds what picfre's tests need from the machine they
// run on: command-line tools such as exiftool and ffmpeg, and a
// PostgreSQL server. It exists only for tests; no library code imports it.
//
// # Skipping and CI
//
// When a tool or the server is missing, the test is skipped with a message
// that says what to install or set, so that "go test ./..." works on a bare
// developer machine. When the environment variable CI is "true" the same
// absence fails the test instead, so that a continuous-integration run
// cannot pass by skipping.
//
// # PostgreSQL
//
// The server is named by the environment variable PostgresEnv
// (PICFRE_TEST_POSTGRES), e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Postgres gives
// each caller an empty schema of its own, so that tests running in
// parallel, and packages tested at the same time, never see one another's
// tables.
package testenv
