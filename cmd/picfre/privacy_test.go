package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	_ "image/jpeg" // decoders for the pixel comparison
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "golang.org/x/image/webp"

	"github.com/picfre/picfre/internal/testenv"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/privacy/strip"
	"github.com/picfre/picfre/retention"
)

// exiftoolGroups returns exiftool's tags of file keyed "Group0:Group1:Name".
func exiftoolGroups(t *testing.T, bin, file string) map[string]any {
	t.Helper()
	out, err := exec.Command(bin, "-j", "-G0:1", "-a", "-u", "-e", "-n", file).Output()
	if err != nil {
		t.Fatalf("exiftool %s: %v", filepath.Base(file), err)
	}
	var res []map[string]any
	if err := json.Unmarshal(out, &res); err != nil || len(res) != 1 {
		t.Fatalf("exiftool output: %v", err)
	}
	return res[0]
}

func decodeFile(t *testing.T, file string) image.Image {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", filepath.Base(file), err)
	}
	return img
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

// TestPrivacyStripExiftool: "picfre privacy strip" on photos written by
// cameras and editors (privacy/strip/testdata) leaves no EXIF, XMP or IPTC that
// exiftool can find (with --drop-orientation; by default only the
// Orientation tag), keeps the ICC profile, and decodes to exactly the same
// pixels.
func TestPrivacyStripExiftool(t *testing.T) {
	bin := testenv.Tool(t, "exiftool", "libimage-exiftool-perl")
	fixtures, err := filepath.Glob("../../privacy/strip/testdata/*.*")
	if err != nil || len(fixtures) < 5 {
		t.Fatalf("fixtures: %v, %v", fixtures, err)
	}
	dir := t.TempDir()
	for _, in := range fixtures {
		if ext := filepath.Ext(in); ext != ".jpg" && ext != ".png" && ext != ".webp" {
			continue
		}
		t.Run(filepath.Base(in), func(t *testing.T) {
			before := exiftoolGroups(t, bin, in)
			if !hasPrefix(before, "EXIF:") || !hasPrefix(before, "XMP") || !hasPrefix(before, "ICC_Profile:") {
				t.Fatalf("the fixture lacks EXIF, XMP or ICC tags: the test would prove nothing")
			}
			for _, dropOrientation := range []bool{true, false} {
				out := filepath.Join(dir, map[bool]string{true: "bare-", false: "oriented-"}[dropOrientation]+filepath.Base(in))
				args := []string{"strip", in, out}
				if dropOrientation {
					args = append(args, "--drop-orientation")
				}
				_, report, err := sub(t, runPrivacy, args...)
				if err != nil {
					t.Fatalf("privacy strip: %v", err)
				}
				if !strings.Contains(report, "removed: ") || strings.Contains(report, "removed: nothing") {
					t.Errorf("report = %q", report)
				}
				for key, val := range exiftoolGroups(t, bin, out) {
					group := strings.SplitN(key, ":", 2)[0]
					switch {
					case group == "EXIF" && !dropOrientation && key == "EXIF:IFD0:Orientation":
					case group == "EXIF", group == "XMP", group == "IPTC", group == "Photoshop", group == "MakerNotes":
						t.Errorf("stripped file still has %s = %v", key, val)
					case strings.HasSuffix(key, ":Comment"), strings.Contains(key, "Warning"):
						t.Errorf("stripped file has %s = %v", key, val)
					}
				}
				if after := exiftoolGroups(t, bin, out); !hasPrefix(after, "ICC_Profile:") {
					t.Errorf("the ICC profile was lost")
				}
				if !samePixels(decodeFile(t, in), decodeFile(t, out)) {
					t.Errorf("the stripped file decodes to other pixels")
				}
			}
		})
	}
	// OUT "-" writes the image to stdout.
	in := "../../privacy/strip/testdata/camera_rocket.jpg"
	stdout, _, err := sub(t, runPrivacy, "strip", in, "-")
	file, _ := os.ReadFile(filepath.Join(dir, "oriented-camera_rocket.jpg"))
	if err != nil || len(stdout) == 0 || !bytes.Equal([]byte(stdout), file) {
		t.Fatalf("strip to stdout: %d bytes, %v", len(stdout), err)
	}
	notImage := filepath.Join(dir, "notes.txt")
	os.WriteFile(notImage, []byte("hello"), 0o644)
	if _, _, err := sub(t, runPrivacy, "strip", notImage, filepath.Join(dir, "x")); !errors.Is(err, strip.ErrUnsupportedFormat) {
		t.Fatalf("strip of a text file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Fatal("a failed strip wrote its output")
	}
}

func hasPrefix(tags map[string]any, prefix string) bool {
	for k := range tags {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func TestPrivacyHashEmail(t *testing.T) {
	hexsum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"  Jane.Doe+News@GoogleMail.com "}, hexsum("janedoe+news@googlemail.com")},
		{[]string{"--rules", "gmail-canonical-1", "Jane.Doe+News@GoogleMail.com"}, hexsum("janedoe@gmail.com")},
		{[]string{"Jane.Doe@Example.com"}, hexsum("jane.doe@example.com")},
	} {
		var got struct {
			SHA256 string `json:"email_sha256"`
			Rules  string `json:"rules"`
		}
		if err := json.Unmarshal([]byte(mustSub(t, runPrivacy, append([]string{"hash-email"}, c.args...)...)), &got); err != nil {
			t.Fatal(err)
		}
		if got.SHA256 != c.want || got.Rules == "" {
			t.Errorf("hash-email %q = %+v, want %s", c.args, got, c.want)
		}
	}
	for _, args := range [][]string{{"hash-email"}, {"hash-email", "a@b", "c@d"}, {"hash-email", "--rules", "yahoo-1", "a@b"}} {
		if _, _, err := sub(t, runPrivacy, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	if _, _, err := sub(t, runPrivacy, "hash-email", "no-at-sign"); !errors.Is(err, custmatch.ErrInvalidEmail) {
		t.Errorf("hash-email of a bad address: %v", err)
	}
}

func csvLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// exercisePrivacy records, exports, corrects and erases through the CLI:
// export after erase holds only what the law keeps, and says so.
func exercisePrivacy(t *testing.T, dsn string) {
	dir := t.TempDir()
	mustSub(t, runCreditsEnv, "topup", "--ledger", dsn, "--account", "jane", "--credits", "40", "--ref", "pay-jane")
	recordUsage(t, dsn, "jane", "beach.jpg", 3, time.Now())
	recordUsage(t, dsn, "jane", "forest.jpg", 2, time.Now())
	c := decode[privacy.ExportContact](t, mustSub(t, runPrivacy, "contact", "--ledger", dsn, "--account", "jane",
		"--email", "Jane.Doe@Example.com", "--phone", "070-123 45 67", "--country", "se", "--consent", "granted", "--eea",
		"--birth-date", "1990-04-01"))
	janeEmail, _ := custmatch.HashEmail("jane.doe@example.com")
	janePhone, _ := custmatch.HashPhone("+46701234567", "")
	if c.EmailSHA256 != janeEmail || c.PhoneSHA256 != janePhone || c.AdUserData != "granted" || !c.EEA || c.AgeStatus != "allowed" || c.BirthDate != "" {
		t.Fatalf("contact = %+v", c)
	}
	kid := decode[privacy.ExportContact](t, mustSub(t, runPrivacy, "contact", "--ledger", dsn, "--account", "kid",
		"--email", "kid@example.com", "--country", "US", "--birth-date", time.Now().AddDate(-10, 0, 0).Format(time.DateOnly)))
	if kid.AgeStatus != "under_age" || kid.BirthDate == "" {
		t.Fatalf("kid = %+v", kid)
	}
	// Correction: withdraw personalization consent, then give it again.
	c = decode[privacy.ExportContact](t, mustSub(t, runPrivacy, "contact", "--ledger", dsn, "--account", "jane", "--ad-personalization", "denied"))
	if c.AdPersonalization != "denied" || c.AdUserData != "granted" || c.EmailSHA256 != janeEmail {
		t.Fatalf("corrected contact = %+v", c)
	}
	mustSub(t, runPrivacy, "contact", "--ledger", dsn, "--account", "jane", "--ad-personalization", "granted")

	x := decode[privacy.Export](t, mustSub(t, runPrivacy, "export", "--ledger", dsn, "--account", "jane"))
	if x.Version != "picfre.export/v2" || len(x.TopUps) != 1 || len(x.Usage) != 2 || x.Contact == nil || x.Balance.Credits != 35 {
		t.Fatalf("export = %+v", x)
	}
	// The statement gives the periods the sweep runs with.
	x6 := decode[privacy.Export](t, mustSub(t, runPrivacy, "export", "--ledger", dsn, "--account", "jane", "--usage-months", "6", "--topup-years", "10"))
	for _, r := range x6.Retained {
		switch r.Kind {
		case retention.KindUsage:
			if !strings.Contains(r.Reason, ": 6 calendar months, then deleted.") || r.Until == nil {
				t.Errorf("usage statement with --usage-months 6: %+v", r)
			}
		case retention.KindTopUp:
			if !strings.HasSuffix(r.Reason, "They are deleted after the end of the 10th year after the year of payment.") || r.Until == nil {
				t.Errorf("top-up statement with --topup-years 10: %+v", r)
			}
		}
	}
	outFile := filepath.Join(dir, "jane.json")
	mustSub(t, runPrivacy, "export", "--ledger", dsn, "--account", "jane", "--out", outFile)
	if b, err := os.ReadFile(outFile); err != nil || !bytes.Contains(b, []byte(`"version": "picfre.export/v2"`)) {
		t.Fatalf("export --out wrote %s, %v", b, err)
	}

	// Outside the EEA and never asked for consent: not added by default.
	mustSub(t, runPrivacy, "contact", "--ledger", dsn, "--account", "sam", "--email", "sam@example.com", "--country", "US")
	samHash, _ := custmatch.HashEmail("sam@example.com")

	adds, rm := filepath.Join(dir, "adds.csv"), filepath.Join(dir, "removes.csv")
	optIn := filepath.Join(dir, "adds-without-consent.csv")
	mustSub(t, runPrivacy, "customer-match", "--ledger", dsn, "--out", optIn, "--allow-without-consent-outside-eea")
	if got := csvLines(t, optIn); !slices.Contains(got, samHash+",") || len(got) != 3 {
		t.Fatalf("adds with --allow-without-consent-outside-eea = %q; want jane and sam", got)
	}
	_, summary, err := sub(t, runPrivacy, "customer-match", "--ledger", dsn, "--out", adds, "--removals", rm)
	if err != nil {
		t.Fatal(err)
	}
	kidHash, _ := custmatch.HashEmail("kid@example.com")
	if got := csvLines(t, adds); !slices.Equal(got, []string{"Email,Phone", janeEmail + "," + janePhone}) {
		t.Fatalf("adds = %q", got)
	}
	if got := csvLines(t, rm); !slices.Equal(got, []string{"Email,Phone", kidHash + ","}) {
		t.Fatalf("removes = %q (summary %s)", got, summary)
	}

	rep := decode[privacy.ErasureReport](t, mustSub(t, runPrivacy, "erase", "--ledger", dsn, "--account", "jane"))
	if rep.Deleted[retention.KindUsage] != 2 || rep.Deleted[retention.KindContact] != 1 || !rep.PendingRemoval || len(rep.Kept) != 2 ||
		rep.Kept[0].Kind != retention.KindTopUp || !strings.Contains(rep.Kept[0].Reason, "bookkeeping law") ||
		!strings.HasSuffix(rep.Kept[0].Reason, "They are kept with no end date.") ||
		rep.Kept[0].Until != nil || // the default policy keeps payment records with no end date

		!slices.Equal(rep.Notes, []string{privacy.NoteRebilled}) {
		t.Fatalf("erasure report = %+v", rep)
	}
	after := decode[privacy.Export](t, mustSub(t, runPrivacy, "export", "--ledger", dsn, "--account", "jane"))
	if len(after.Usage) != 0 || after.Contact != nil || len(after.Pseudonym) != 0 ||
		!slices.Equal(after.TopUps, x.TopUps) || after.Balance.Credits != 35 || after.Purged == nil || after.Purged.Credits != 5 {
		t.Fatalf("export after erasure = %+v", after)
	}
	var kept []string
	for _, r := range after.Retained {
		kept = append(kept, string(r.Kind)+": "+r.Reason)
	}
	if len(kept) != 2 || !strings.HasPrefix(kept[0], "topup: Your top-ups are payment records: bookkeeping law") || !strings.HasPrefix(kept[1], "balance: ") {
		t.Fatalf("export after erasure states %q", kept)
	}

	// The erased contact is removed from the list once, then forgotten.
	mustSub(t, runPrivacy, "customer-match", "--ledger", dsn, "--out", adds, "--removals", rm)
	if got := csvLines(t, adds); len(got) != 1 {
		t.Fatalf("adds after erasure = %q", got)
	}
	if got := csvLines(t, rm); !slices.Contains(got, janeEmail+","+janePhone) || !slices.Contains(got, kidHash+",") {
		t.Fatalf("removes after erasure = %q", got)
	}
	mustSub(t, runPrivacy, "customer-match", "--ledger", dsn, "--out", adds, "--removals", rm)
	if got := csvLines(t, rm); slices.Contains(got, janeEmail+","+janePhone) {
		t.Fatalf("the erased contact's hashes were kept after their removal was written: %q", got)
	}

	// A legal hold refuses erasure.
	mustSub(t, runRetention, "hold", "--ledger", dsn, "--account", "kid")
	if _, _, err := sub(t, runPrivacy, "erase", "--ledger", dsn, "--account", "kid"); err == nil || !strings.Contains(err.Error(), "legal hold") {
		t.Fatalf("erase under a legal hold: %v", err)
	}
}

func TestPrivacySQLite(t *testing.T) {
	exercisePrivacy(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
}

func TestPrivacyPostgres(t *testing.T) {
	exercisePrivacy(t, testenv.Postgres(t))
}

func TestPrivacyUsage(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	for _, args := range [][]string{
		{},
		{"shred"},
		{"strip", "only-in"},
		{"export", "--ledger", dsn},
		{"erase", "--ledger", dsn, "extra", "--account", "a"},
		{"contact", "--ledger", dsn, "--account", "a", "--consent", "maybe"},
		{"contact", "--ledger", dsn, "--account", "a", "--birth-date", "01/02/2003"},
		{"contact", "--ledger", dsn, "--account", "a", "--opt-out", "--opt-in"},
		{"customer-match", "--bogus"},
		{"export", "--ledger", dsn, "--account", "a", "--topup-years", "3"},
		{"erase", "--ledger", dsn, "--account", "a", "--usage-months", "0"},
		{"contact", "--ledger", dsn, "--account", "a", "--usage-months", "6"},
	} {
		if _, _, err := sub(t, runPrivacy, args...); !errors.Is(err, errUsage) {
			t.Errorf("privacy %q: %v, want a usage error", args, err)
		}
	}
	if _, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:")); !os.IsNotExist(err) {
		t.Errorf("a usage error created the ledger file")
	}
	if out := mustSub(t, runPrivacy, "help"); !strings.Contains(out, "privacy customer-match") {
		t.Errorf("help printed %q", out)
	}
}
