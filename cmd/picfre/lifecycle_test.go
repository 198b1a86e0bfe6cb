package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// listTree returns every path under dir, relative to it.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNothingKeptAfterTheJob runs a billed batch with the working folder
// and the temporary folder both empty and private to the test, then checks
// that nothing was written but what was asked for (the ledger and the
// output file), and that the ledger holds none of the content or the
// generated metadata: only file names, times and counts.
func TestNothingKeptAfterTheJob(t *testing.T) {
	samples, err := filepath.Abs("../../testdata/samples")
	if err != nil {
		t.Fatal(err)
	}
	work, tmp, in := t.TempDir(), t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Chdir(work)
	for _, name := range []string{"coffee.png", "rocket.jpg", "brick.png"} {
		copyFile(t, filepath.Join(samples, name), in, name)
	}
	before := listTree(t, in)

	mustCredits(t, "topup", "--ledger", "sqlite:ledger.db", "--account", "acme", "--credits", "10", "--ref", "p1")
	_, errw, code := runCLI(t, nil, "tag", "--ledger", "sqlite:ledger.db", "--account", "acme", "--out", "out.jsonl", in)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	if left := listTree(t, tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %q", left)
	}
	if after := listTree(t, in); !slices.Equal(before, after) {
		t.Errorf("input folder changed: %q -> %q", before, after)
	}
	for _, f := range listTree(t, work) {
		switch f {
		case "out.jsonl", "ledger.db", "ledger.db-wal", "ledger.db-shm":
		default:
			t.Errorf("unexpected file written: %s", f)
		}
	}

	out, err := os.ReadFile(filepath.Join(work, "out.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	recs := decodeJSONL(t, string(out))
	var db []byte
	for _, f := range []string{"ledger.db", "ledger.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(work, f))
		db = append(db, b...)
	}
	if !bytes.Contains(db, []byte("coffee.png")) {
		t.Fatal("the ledger does not record the file name; the check below would prove nothing")
	}
	checked := 0
	for _, r := range recs {
		probes := []string{r.Title, r.Description}
		for _, k := range r.Keywords {
			// Short keywords ("red") occur inside SQL and column names.
			if len(k) >= 8 {
				probes = append(probes, k)
			}
		}
		for _, s := range probes {
			checked++
			if bytes.Contains(db, []byte(s)) {
				t.Errorf("the ledger keeps generated metadata: %q", s)
			}
		}
	}
	if checked < 9 {
		t.Fatalf("only %d probes", checked)
	}
	raw, _ := os.ReadFile(filepath.Join(samples, "rocket.jpg"))
	if bytes.Contains(db, raw[200:264]) {
		t.Error("the ledger keeps content bytes")
	}
}
