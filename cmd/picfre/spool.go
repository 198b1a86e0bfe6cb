package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// spools
	_ "gocloud.dev/blob/s3blob"   // s3:// spools (AWS or any S3-compatible server)

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/jobs"
)

// defaultQueueDSN is the job queue when --queue is not given: the same
// SQLite file as the default ledger, so that one machine needs one file
// (and the spool folder beside it).
const defaultQueueDSN = defaultLedgerDSN

// sealKeysEnv names the sealing keys when --seal-key-file does not:
// "ID:BASE64" keys, comma-separated, the first sealing.
const sealKeysEnv = "PICFRE_SEAL_KEYS"

// spoolURL is the bucket URL of the spool: --spool as given when it is a
// URL, a folder named by a plain path, or by default a folder "spool"
// beside the SQLite queue (a PostgreSQL queue needs --spool: every
// instance must share one bucket).
func spoolURL(spool, queueDSN string) (string, error) {
	if strings.Contains(spool, "://") {
		return spool, nil
	}
	dir := spool
	if dir == "" {
		path, ok := strings.CutPrefix(queueDSN, "sqlite:")
		if !ok {
			return "", usagef("a PostgreSQL queue needs --spool URL, the bucket every instance shares (s3://BUCKET?region=..., file:///shared/folder)")
		}
		dir = filepath.Join(filepath.Dir(strings.TrimPrefix(path, "//")), "spool")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", errcode.Errorf(errcode.InvalidArgument, "spool folder: %w", err)
	}
	return folderURL(abs), nil
}

// folderURL is the fileblob URL of a local folder: created if missing
// (private to the user), temporary files beside the objects rather than
// in the system's temporary folder (so that nothing of an upload is left
// elsewhere, and the rename never crosses devices), and no attribute
// sidecar files.
func folderURL(abs string) string {
	return "file://" + filepath.ToSlash(abs) + "?create_dir=true&dir_file_mode=0700&no_tmp_dir=true&metadata=skip"
}

// openSpool opens the spool bucket. The message of a failure names
// neither the URL (it may hold credentials) nor the folder.
func openSpool(ctx context.Context, url string) (*blob.Bucket, error) {
	scheme, _, _ := strings.Cut(url, "://")
	if scheme != "file" && scheme != "s3" {
		return nil, usagef("--spool wants a file:// or s3:// URL, or a folder")
	}
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		return nil, errcode.Errorf(errcode.Unavailable, "the %s spool cannot be opened; check --spool", scheme)
	}
	return b, nil
}

// sealKeys reads the sealing keys: from the file named by keyFile (one
// "ID:BASE64" key a line; blank lines and lines starting with # are
// skipped), else from PICFRE_SEAL_KEYS (comma-separated). The first key
// seals; every key opens what names it. No keys is not an error: the
// caller warns. Messages never repeat a key.
func sealKeys(keyFile string, getenv func(string) string) ([]jobs.Key, error) {
	var specs []string
	source := sealKeysEnv
	if keyFile != "" {
		source = "--seal-key-file"
		raw, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, errcode.Errorf(errcode.InvalidArgument, "--seal-key-file: the file cannot be read")
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line != "" && !strings.HasPrefix(line, "#") {
				specs = append(specs, line)
			}
		}
		if sc.Err() != nil {
			return nil, errcode.Errorf(errcode.InvalidArgument, "--seal-key-file: the file cannot be read")
		}
		if len(specs) == 0 {
			return nil, errcode.Errorf(errcode.InvalidArgument, "--seal-key-file: no key in the file")
		}
	} else {
		for _, s := range strings.Split(getenv(sealKeysEnv), ",") {
			if s = strings.TrimSpace(s); s != "" {
				specs = append(specs, s)
			}
		}
	}
	keys := make([]jobs.Key, 0, len(specs))
	for i, s := range specs {
		k, err := jobs.ParseKey(s)
		if err != nil {
			return nil, errcode.Errorf(errcode.InvalidArgument, "%s: key %d: %w", source, i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// warnClear is printed when no sealing key is configured.
const warnClear = "picfre: warning: no sealing key (--seal-key-file or " + sealKeysEnv + "): uploaded content and held results are stored in clear in the spool and the queue database\n"
