package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/picfre/picfre/internal/testenv"
)

// ServerEnv names the environment variable that may name the server
// binary, as a path or as a name looked up on PATH. CI sets it.
const ServerEnv = "PICFRE_TEST_S3_SERVER"

// The fixed credentials, region and install command of the test server.
// They guard nothing: the server listens on loopback only and lives as
// long as one test.
const (
	AccessKey = "picfretest"
	SecretKey = "picfretest-secret-key"
	Region    = "us-east-1"

	// InstallCommand installs the server binary into $(go env GOPATH)/bin.
	InstallCommand = "go install " + serverPackage + "@" + serverVersion
)

const (
	serverName    = "versitygw"
	serverPackage = "github.com/versity/versitygw/cmd/versitygw"
	serverVersion = "v1.8.0"

	// readyTimeout bounds the wait for a fresh server to answer; it is
	// generous for a machine loaded by parallel test binaries.
	readyTimeout = 60 * time.Second
	// startAttempts covers the rare case of another process taking the
	// free port between choosing it and the server binding it.
	startAttempts = 3
)

// Server is one S3-compatible server process, listening on 127.0.0.1 and
// keeping its objects under Dir. It lives until the end of the test that
// started it. Its methods are safe for concurrent use.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string
	// Dir is the folder where the server keeps its objects and metadata.
	Dir string

	client *s3.Client
}

// Run starts a new server for t and registers its shutdown with
// t.Cleanup. When the binary is missing the test is skipped with a message
// naming InstallCommand, or fails when CI=true.
func Run(t testing.TB) *Server {
	t.Helper()
	bin := findServer(t)
	dir := t.TempDir()
	var lastErr string
	for range startAttempts {
		s, msg := launch(t, bin, dir)
		if s != nil {
			return s
		}
		lastErr = msg
	}
	t.Fatalf("s3test: the server did not start: %s", lastErr)
	return nil
}

// servers holds the server that Start, Open and Dir share within one test,
// keyed by the test's testing.TB, as a *shared. Each entry is removed when
// its test ends.
var servers sync.Map

// shared is one test's entry in servers; mu makes goroutines of the test
// that call at the same time wait for the one server rather than start two.
type shared struct {
	mu sync.Mutex
	s  *Server
}

// forTest returns the server shared by Start, Open and Dir within t,
// starting it at the first call.
func forTest(t testing.TB) *Server {
	t.Helper()
	v, loaded := servers.LoadOrStore(t, new(shared))
	if !loaded {
		t.Cleanup(func() { servers.Delete(t) })
	}
	e := v.(*shared)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.s == nil {
		e.s = Run(t)
	}
	return e.s
}

// Start makes a fresh bucket on the test's server (started at the first
// call of Start, Open or Dir in t) and returns a URL that blob.OpenBucket
// opens with the s3blob driver, of the form
//
//	s3://BUCKET?disable_https=true&endpoint=http%3A%2F%2F127.0.0.1%3APORT&region=us-east-1&use_path_style=true
//
// The s3blob URL opener takes its credentials from the AWS default chain,
// so Start sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and points the
// shared config files at nothing with t.Setenv, which restores them when
// the test ends; like t.Setenv, it therefore panics in a parallel test.
// Parallel tests use Open instead.
func Start(t testing.TB) (bucketURL string) {
	t.Helper()
	s := forTest(t)
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return s.URL(s.NewBucket(t))
}

// Open makes a fresh bucket on the test's server (started at the first
// call of Start, Open or Dir in t) and opens it through s3blob with an
// AWS SDK client that carries the credentials itself, so it reads and
// changes no environment and is safe in parallel tests. The bucket is
// closed when the test ends.
func Open(t testing.TB, ctx context.Context) *blob.Bucket {
	t.Helper()
	s := forTest(t)
	return s.OpenBucket(t, ctx, s.NewBucket(t))
}

// Dir returns the folder where the test's server (started at the first
// call of Start, Open or Dir in t) keeps the bytes of its objects, so that
// a test can look at what reaches the disk.
func Dir(t testing.TB) string {
	t.Helper()
	return forTest(t).Dir
}

// Client returns an AWS SDK S3 client for the server, with the test
// credentials and path-style addressing.
func (s *Server) Client() *s3.Client { return s.client }

// NewBucket creates a bucket with a fresh random name and returns the
// name. Buckets go away with the server.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := "picfre-" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket: %v", err)
	}
	return name
}

// URL returns the s3blob URL of bucket on this server, as Start does. It
// opens only with the test credentials in the environment; see Start.
func (s *Server) URL(bucket string) string {
	q := url.Values{}
	q.Set("endpoint", s.Endpoint)
	q.Set("use_path_style", "true")
	q.Set("disable_https", "true")
	q.Set("region", Region)
	return "s3://" + bucket + "?" + q.Encode()
}

// OpenBucket opens bucket through s3blob with the server's own client, as
// Open does, and closes it when the test ends.
func (s *Server) OpenBucket(t testing.TB, ctx context.Context, bucket string) *blob.Bucket {
	t.Helper()
	b, err := s3blob.OpenBucket(ctx, s.client, bucket, nil)
	if err != nil {
		t.Fatalf("s3test: open bucket: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// OpenBucketVia opens bucket as OpenBucket does, with every HTTP request
// of the client going through rt: a test injects delays or faults at the
// wire, in front of the real server.
func (s *Server) OpenBucketVia(t testing.TB, ctx context.Context, bucket string, rt http.RoundTripper) *blob.Bucket {
	t.Helper()
	client := newClient(s.Endpoint, &http.Client{Transport: rt})
	b, err := s3blob.OpenBucket(ctx, client, bucket, nil)
	if err != nil {
		t.Fatalf("s3test: open bucket: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// newClient returns an S3 client for endpoint with static test
// credentials, built without reading the environment or shared files.
func newClient(endpoint string, hc *http.Client) *s3.Client {
	var httpClient s3.HTTPClient
	if hc != nil {
		httpClient = hc
	}
	return s3.New(s3.Options{
		HTTPClient:   httpClient,
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		// Without this the SDK logs a line for every response that carries
		// no checksum it knows, which is most of them on these servers.
		Logger: logging.Nop{},
	})
}

// findServer returns the path of the server binary: the one ServerEnv
// names, else versitygw on PATH, else versitygw in $(go env GOPATH)/bin.
func findServer(t testing.TB) string {
	t.Helper()
	if name := os.Getenv(ServerEnv); name != "" {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("s3test: %s names a server binary that cannot be run: %v", ServerEnv, err)
		}
		return p
	}
	if p, err := exec.LookPath(serverName); err == nil {
		return p
	}
	if gopath := goPath(); gopath != "" {
		p := filepath.Join(gopath, "bin", serverName)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	msg := "no S3 server binary: install it with `" + InstallCommand + "` (into $(go env GOPATH)/bin), or set " + ServerEnv + " to its path"
	if os.Getenv("CI") == "true" {
		t.Fatalf("s3test: %s; CI=true requires the S3 tests to run", msg)
	}
	t.Skipf("skipping: %s", msg)
	return ""
}

// goPath returns the first entry of `go env GOPATH`, or "" when the go
// command cannot say.
func goPath() string {
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), string(os.PathListSeparator))
	return first
}

// launch starts the server on a free loopback port and waits until it
// creates buckets. It returns the server, or nil and what went wrong.
func launch(t testing.TB, bin, dir string) (*Server, string) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return nil, "no free port: " + err.Error()
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := serverCommand(bin, addr, dir)
	var out testenv.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		return nil, "start " + filepath.Base(bin) + ": " + err.Error()
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	s := &Server{Endpoint: "http://" + addr, Dir: dir, client: newClient("http://"+addr, nil)}
	if msg := s.waitReady(exited); msg != "" {
		stop()
		return nil, msg + "; server output: " + out.Tail(2000)
	}
	t.Cleanup(stop)
	return s, ""
}

// serverCommand returns the command that runs the server binary bin on
// addr with its data in dir. A binary named minio (see package doc) runs
// as a single-drive MinIO server; any other as versitygw over its posix
// backend, which stores each object as a plain file DIR/BUCKET/KEY with
// its metadata in extended attributes.
func serverCommand(bin, addr, dir string) *exec.Cmd {
	if strings.HasPrefix(filepath.Base(bin), "minio") {
		cmd := exec.Command(bin, "server", dir, "--address", addr, "--quiet")
		cmd.Env = append(os.Environ(),
			"MINIO_ROOT_USER="+AccessKey,
			"MINIO_ROOT_PASSWORD="+SecretKey,
			"MINIO_BROWSER=off",
			"MINIO_UPDATE=off",
			"MINIO_REGION="+Region,
		)
		return cmd
	}
	cmd := exec.Command(bin,
		"--access", AccessKey,
		"--secret", SecretKey,
		"--region", Region,
		"--port", addr,
		"posix", dir)
	// The gateway reads its settings from the environment too; keep the
	// caller's VGW_* and ROOT_* variables from changing them.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// waitReady polls the server until it lists buckets, the process exits, or
// readyTimeout passes. It returns "" when the server is ready.
func (s *Server) waitReady(exited <-chan struct{}) string {
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := s.client.ListBuckets(ctx, &s3.ListBucketsInput{})
		cancel()
		if err == nil {
			return ""
		}
		lastErr = err
		select {
		case <-exited:
			return "the server exited"
		case <-time.After(100 * time.Millisecond):
		}
	}
	return "the server did not answer within " + readyTimeout.String() + ": " + lastErr.Error()
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
