// Package s3test starts a real S3-compatible server on loopback for tests,
// and hands out fresh buckets on it as gocloud.dev/blob buckets or as
// s3blob URLs. It exists only for tests; no library code imports it.
//
// The job service spools uploads in a blob bucket, file:// by default and
// s3:// at scale. Testing the s3:// path against a mock of the blob
// interface would test the mock; this package runs the server itself, so
// the tests go through the AWS SDK, HTTP, request signing, multipart
// uploads and the server's storage as production does.
//
// # The server
//
// The server is versitygw (Apache-2.0) over its posix backend, built from
// source through the Go module proxy with InstallCommand, which puts the
// binary versitygw into $(go env GOPATH)/bin; .ci/run does that. The
// package finds it, in this order, where the environment variable
// ServerEnv (PICFRE_TEST_S3_SERVER) names it, on PATH, or in
// $(go env GOPATH)/bin. It runs as a separate process; nothing of it is
// linked into picfre or named in go.mod.
//
// versitygw was chosen over MinIO because it is a real S3 server that
// builds in about a third of MinIO's time (3m22s against 13m45s wall,
// 192 s against 604 s of CPU, on the shared 2-core machine), is
// maintained, and keeps each object as a plain file, which makes Dir
// useful. A binary named minio (installed with go install
// github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c, AGPL) is run
// as a single-drive MinIO server instead, for comparing the two; the
// package's tests pass on both.
//
// Each server listens on 127.0.0.1 on a free port, keeps its data in a
// t.TempDir() folder, accepts the fixed credentials AccessKey and
// SecretKey in region Region, and is killed (and waited for) when the test
// that started it ends.
//
// # Skipping and CI
//
// When no binary is found, the test is skipped with a message naming
// InstallCommand, so that "go test ./..." works on a bare developer
// machine. When the environment variable CI is "true" the same absence
// fails the test instead, as in package testenv. A ServerEnv that names
// no runnable binary always fails: whoever set it meant the tests to run.
//
// # Buckets
//
// Start, Open and Dir share one server per test (per testing.TB, so each
// subtest has its own), started at the first call; every Start and Open
// creates a fresh bucket with a random name.
//
//   - Start returns an s3blob URL, for code that opens its bucket from
//     configuration with blob.OpenBucket:
//
//     s3://BUCKET?disable_https=true&endpoint=http%3A%2F%2F127.0.0.1%3APORT&region=us-east-1&use_path_style=true
//
//     s3blob's URL opener takes credentials from the AWS default chain, so
//     Start sets the AWS_* variables with t.Setenv (and points the shared
//     config files at nothing, so a developer's own AWS setup cannot leak
//     in); like t.Setenv it cannot be used in parallel tests.
//
//   - Open returns a *blob.Bucket built with s3blob.OpenBucket from an AWS
//     SDK client that carries static credentials, touching no environment;
//     it works in parallel tests.
//
//   - Dir returns the server's data folder, so that a test can search the
//     raw bytes the server keeps, e.g. to check that a deleted upload is
//     gone from the disk. versitygw stores an object as the plain file
//     DIR/BUCKET/KEY (a key's slashes make folders), its metadata in
//     extended attributes, in-progress multipart uploads under
//     DIR/BUCKET/.sgwtmp and advisory lock files under DIR/.vgwlocks; a
//     delete unlinks the object's file at once. MinIO keeps
//     objects under DIR/BUCKET/KEY/ in its own format (a 32-byte checksum
//     before each block of data) and moves deleted data to
//     DIR/.minio.sys/tmp/.trash, unlinking it minutes later.
//
// Run starts a server of the caller's own and returns it as a *Server,
// with its endpoint, data folder, AWS SDK client and methods to make
// buckets and their URLs.
package s3test
