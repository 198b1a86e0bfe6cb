package sqlitestore_test

import (
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/sqlitestore"
)

// makeReadOnly makes file unwritable for this process until the test
// ends: by its mode, or, for root (whom modes do not bind), by the
// immutable attribute. It skips the test when neither binds.
func makeReadOnly(t *testing.T, file string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(file, 0o444); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(file, 0o644) })
		return
	}
	chattr, err := exec.LookPath("chattr")
	if err != nil || exec.Command(chattr, "+i", file).Run() != nil {
		t.Skip("skipping: running as root, and chattr +i is not available to make a file read-only")
	}
	t.Cleanup(func() { exec.Command(chattr, "-i", file).Run() })
}

func newLedgerFile(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "ledger.db")
	s, err := sqlitestore.Open(t.Context(), file, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := metering.NewLedger(s, metering.Options{})
	if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acme", Credits: 5, PaymentRef: "pay-1"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return file
}

// A ledger file this process cannot write opens read-only: reads work,
// every write fails with billing_failure (unavailable in the chain), and
// nothing is left beside the file, so that no read-only -shm can keep
// the ledger unopenable once it is writable again.
func TestReadOnlyLedger(t *testing.T) {
	file := newLedgerFile(t)
	makeReadOnly(t, file)
	s, err := sqlitestore.Open(t.Context(), file, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("Open of a read-only ledger: %v", err)
	}
	l := metering.NewLedger(s, metering.Options{})
	if b, err := l.Balance(t.Context(), "acme"); err != nil || b.Credits != 5 {
		t.Fatalf("Balance = %+v, %v", b, err)
	}
	_, err = l.Authorize(t.Context(), metering.Authorization{Account: "acme", IdempotencyKey: "k", Credits: 1})
	if errcode.Of(err) != errcode.BillingFailure || !errors.Is(err, errcode.Unavailable) {
		t.Fatalf("Authorize on a read-only ledger = %v (%s), want billing_failure over unavailable", err, errcode.Of(err))
	}
	_, err = l.TopUp(t.Context(), metering.TopUp{Account: "acme", Credits: 1, PaymentRef: "pay-2"})
	if errcode.Of(err) != errcode.BillingFailure {
		t.Fatalf("TopUp on a read-only ledger = %v (%s)", err, errcode.Of(err))
	}
	l.Close()
	for _, sfx := range []string{"-shm", "-wal"} {
		if _, err := os.Stat(file + sfx); err == nil {
			t.Errorf("a read-only run left %s beside the ledger", sfx)
		}
	}
}

// A stale -shm that this process cannot write (left by a run while the
// ledger was read-only: SQLite gives it the database's mode) no longer
// keeps a writable ledger unopenable. Modes do not bind root, so as root
// the test runs itself as nobody when setpriv is there.
func TestStaleReadOnlySHM(t *testing.T) {
	dir := os.Getenv("PICFRE_TEST_SHM_DIR")
	if dir == "" && os.Geteuid() == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("skipping: running as root, where file modes do not bind, and setpriv is missing")
		}
		dir = t.TempDir()
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o777); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", os.Args[0], "-test.run=^TestStaleReadOnlySHM$", "-test.v")
		cmd.Env = append(os.Environ(), "PICFRE_TEST_SHM_DIR="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("as nobody: %v\n%s", err, out)
		}
		return
	}
	if dir == "" {
		dir = t.TempDir()
	}
	file := filepath.Join(dir, "ledger.db")
	s, err := sqlitestore.Open(t.Context(), file, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := metering.NewLedger(s, metering.Options{})
	if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acme", Credits: 5, PaymentRef: "pay-1"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	// A run on the read-only file as SQLite does it by default: it
	// creates -shm and -wal with the file's read-only mode and leaves
	// them.
	if err := os.Chmod(file, 0o444); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM topups`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if st, err := os.Stat(file + "-shm"); err != nil || st.Mode().Perm()&0o200 != 0 {
		t.Fatalf("no stale read-only -shm to test with: %v", err)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = sqlitestore.Open(t.Context(), file, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("Open beside a stale read-only -shm: %v", err)
	}
	l = metering.NewLedger(s, metering.Options{})
	defer l.Close()
	if _, err := l.TopUp(t.Context(), metering.TopUp{Account: "acme", Credits: 1, PaymentRef: "pay-2"}); err != nil {
		t.Fatalf("TopUp beside a stale read-only -shm: %v", err)
	}
}
