package sqlq

import "testing"

func TestRebind(t *testing.T) {
	q := "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"
	if got := Rebind(q, false); got != q {
		t.Errorf("SQLite: %q", got)
	}
	if got, want := Rebind(q, true), "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"; got != want {
		t.Errorf("PostgreSQL: %q, want %q", got, want)
	}
}
