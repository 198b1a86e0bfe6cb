package main

import (
	"path/filepath"
	"testing"

	"github.com/picfre/picfre/errcode"
)

// --max-credits: a file dearer than the ceiling fails with too_large
// before anything is held (the balance is untouched); 0 lifts the ceiling.
func TestMaxCreditsFlag(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	mustCredits(t, "topup", "--ledger", dsn, "--account", "alice", "--credits", "100", "--ref", "pay-1")
	photo := "../../testdata/samples/rocket.jpg"
	out, errw, code := runCLI(t, nil, "tag", "--ledger", dsn, "--account", "alice", "--price", "7", "--max-credits", "5", photo)
	if code != exitFailed {
		t.Fatalf("exit %d, stderr %s", code, errw)
	}
	if recs := decodeJSONL(t, out); len(recs) != 1 || recs[0].Error == nil || recs[0].Error.Code != errcode.TooLarge {
		t.Fatalf("records %+v, want one too_large", recs)
	}
	if b := decode[balanceRecord](t, mustCredits(t, "balance", "--ledger", dsn, "--account", "alice")); b.Credits != 100 || b.Held != 0 {
		t.Fatalf("balance after a refused file: %+v", b)
	}
	out, errw, code = runCLI(t, nil, "tag", "--ledger", dsn, "--account", "alice", "--price", "7", "--max-credits", "0", photo)
	if code != exitOK {
		t.Fatalf("--max-credits 0: exit %d, stderr %s", code, errw)
	}
	if recs := decodeJSONL(t, out); len(recs) != 1 || recs[0].Error != nil || recs[0].Usage == nil || recs[0].Usage.Credits != 7 {
		t.Fatalf("records %+v, want one charged 7", recs)
	}
	for _, bad := range [][]string{{"--max-credits", "-1"}, {"--max-duration", "0s"}} {
		if _, _, code := runCLI(t, nil, append([]string{"tag"}, append(bad, photo)...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want usage", bad, code)
		}
	}
}

// --max-duration: a clip longer than the limit (measured from its packets)
// fails with too_large.
func TestMaxDurationFlag(t *testing.T) {
	dir := t.TempDir()
	clip := ffmpeg(t, dir, "clip.mp4", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=3", "-c:v", "mjpeg")
	out, errw, code := runCLI(t, nil, "tag", "--max-duration", "1s", clip)
	if code != exitFailed {
		t.Fatalf("exit %d, stderr %s", code, errw)
	}
	if recs := decodeJSONL(t, out); len(recs) != 1 || recs[0].Error == nil || recs[0].Error.Code != errcode.TooLarge {
		t.Fatalf("records %+v, want one too_large", recs)
	}
}
