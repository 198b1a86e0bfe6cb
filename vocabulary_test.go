package picfre_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/picfre/picfre"
	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/httpapi"
	"github.com/picfre/picfre/internal/audio"
	"github.com/picfre/picfre/internal/scratch"
	"github.com/picfre/picfre/internal/seal"
	"github.com/picfre/picfre/internal/vector"
	"github.com/picfre/picfre/internal/video"
	"github.com/picfre/picfre/jobs"
	"github.com/picfre/picfre/metering"
	"github.com/picfre/picfre/metering/driver"
	"github.com/picfre/picfre/payments"
	"github.com/picfre/picfre/payments/stripe"
	"github.com/picfre/picfre/privacy"
	"github.com/picfre/picfre/privacy/agegate"
	"github.com/picfre/picfre/privacy/contactstore"
	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/privacy/pseudonym"
	"github.com/picfre/picfre/privacy/strip"
	"github.com/picfre/picfre/retention"
	"github.com/picfre/picfre/stock"
	"github.com/picfre/picfre/store"
)

// sentinels is every exported sentinel error of every package with the
// code errcode.Of must give it. TestEverySentinelHasItsCode finds the
// sentinels in the source, so a new one that is missing here fails.
var sentinels = map[string]struct {
	err  error
	code errcode.Code
}{
	"metering/driver.ErrConflict":            {driver.ErrConflict, errcode.Conflict},
	"metering/driver.ErrExceedsHold":         {driver.ErrExceedsHold, errcode.BillingFailure},
	"metering/driver.ErrHoldExpired":         {driver.ErrHoldExpired, errcode.BillingFailure},
	"metering/driver.ErrHoldVoided":          {driver.ErrHoldVoided, errcode.BillingFailure},
	"metering/driver.ErrInProgress":          {driver.ErrInProgress, errcode.Conflict},
	"metering/driver.ErrInsufficientCredits": {driver.ErrInsufficientCredits, errcode.InsufficientCredits},
	"metering/driver.ErrLegalHold":           {driver.ErrLegalHold, errcode.FailedPrecondition},
	"metering/driver.ErrOverflow":            {driver.ErrOverflow, errcode.InvalidArgument},
	"metering/driver.ErrUnknownHold":         {driver.ErrUnknownHold, errcode.BillingFailure},
	"metering/driver.ErrUnknownPayment":      {driver.ErrUnknownPayment, errcode.NotFound},
	"metering/driver.ErrAccountBlocked":      {driver.ErrAccountBlocked, errcode.InsufficientCredits},

	"metering.ErrClosed":              {metering.ErrClosed, errcode.FailedPrecondition},
	"metering.ErrConflict":            {metering.ErrConflict, errcode.Conflict},
	"metering.ErrDryRunUnsupported":   {metering.ErrDryRunUnsupported, errcode.InvalidArgument},
	"metering.ErrEventTooOld":         {metering.ErrEventTooOld, errcode.BillingFailure},
	"metering.ErrExceedsHold":         {metering.ErrExceedsHold, errcode.BillingFailure},
	"metering.ErrHoldExpired":         {metering.ErrHoldExpired, errcode.BillingFailure},
	"metering.ErrHoldVoided":          {metering.ErrHoldVoided, errcode.BillingFailure},
	"metering.ErrInProgress":          {metering.ErrInProgress, errcode.Conflict},
	"metering.ErrInsufficientCredits": {metering.ErrInsufficientCredits, errcode.InsufficientCredits},
	"metering.ErrInvalid":             {metering.ErrInvalid, errcode.InvalidArgument},
	"metering.ErrLegalHold":           {metering.ErrLegalHold, errcode.FailedPrecondition},
	"metering.ErrOverflow":            {metering.ErrOverflow, errcode.InvalidArgument},
	"metering.ErrUnknownPayment":      {metering.ErrUnknownPayment, errcode.NotFound},
	"metering.ErrAccountBlocked":      {metering.ErrAccountBlocked, errcode.InsufficientCredits},
	"metering.ErrNoPrice":             {metering.ErrNoPrice, errcode.InvalidArgument},
	"metering.ErrSweepInProgress":     {metering.ErrSweepInProgress, errcode.Conflict},
	"metering.ErrUnknownHold":         {metering.ErrUnknownHold, errcode.BillingFailure},

	"retention.ErrBelowLegalFloor": {retention.ErrBelowLegalFloor, errcode.InvalidArgument},
	"retention.ErrFutureAsOf":      {retention.ErrFutureAsOf, errcode.InvalidArgument},
	"retention.ErrInvalidPolicy":   {retention.ErrInvalidPolicy, errcode.InvalidArgument},
	"retention.ErrSweepInProgress": {retention.ErrSweepInProgress, errcode.Conflict},

	"internal/seal.ErrCorrupt":                 {seal.ErrCorrupt, errcode.Internal},
	"internal/seal.ErrUnknownKey":              {seal.ErrUnknownKey, errcode.FailedPrecondition},
	"internal/seal.ErrNotSealed":               {seal.ErrNotSealed, errcode.FailedPrecondition},
	"internal/seal.ErrClosed":                  {seal.ErrClosed, errcode.Internal},
	"jobs.ErrResultGone":                       {jobs.ErrResultGone, errcode.NotFound},
	"payments.ErrInvalidPacks":                 {payments.ErrInvalidPacks, errcode.InvalidArgument},
	"payments/stripe.ErrConfig":                {stripe.ErrConfig, errcode.InvalidArgument},
	"payments/stripe.ErrUnknownPack":           {stripe.ErrUnknownPack, errcode.InvalidArgument},
	"httpapi.ErrConfig":                        {httpapi.ErrConfig, errcode.InvalidArgument},
	"httpapi.ErrDocument":                      {httpapi.ErrDocument, errcode.Internal},
	"store.ErrNotFound":                        {store.ErrNotFound, errcode.NotFound},
	"store.ErrUnauthenticated":                 {store.ErrUnauthenticated, errcode.Unauthenticated},
	"jobs.ErrNotFound":                         {jobs.ErrNotFound, errcode.NotFound},
	"jobs.ErrInvalidDSN":                       {jobs.ErrInvalidDSN, errcode.InvalidArgument},
	"jobs.ErrTooManyFiles":                     {jobs.ErrTooManyFiles, errcode.TooLarge},
	"jobs.ErrEmptyJob":                         {jobs.ErrEmptyJob, errcode.InvalidArgument},
	"jobs.ErrCommitted":                        {jobs.ErrCommitted, errcode.FailedPrecondition},
	"jobs.ErrClosed":                           {jobs.ErrClosed, errcode.FailedPrecondition},
	"jobs.ErrNoTagger":                         {jobs.ErrNoTagger, errcode.InvalidArgument},
	"jobs.ErrNoSpool":                          {jobs.ErrNoSpool, errcode.InvalidArgument},
	"jobs.ErrInvalidAccount":                   {jobs.ErrInvalidAccount, errcode.InvalidArgument},
	"privacy.ErrInvalidAccount":                {privacy.ErrInvalidAccount, errcode.InvalidArgument},
	"privacy/agegate.ErrBirthDateInFuture":     {agegate.ErrBirthDateInFuture, errcode.InvalidArgument},
	"privacy/agegate.ErrBirthDateUnknown":      {agegate.ErrBirthDateUnknown, errcode.InvalidArgument},
	"privacy/contactstore.ErrUnknownDialect":   {contactstore.ErrUnknownDialect, errcode.InvalidArgument},
	"privacy/custmatch.ErrInvalidEmail":        {custmatch.ErrInvalidEmail, errcode.InvalidArgument},
	"privacy/custmatch.ErrInvalidPhone":        {custmatch.ErrInvalidPhone, errcode.InvalidArgument},
	"privacy/custmatch.ErrUnknownConsentState": {custmatch.ErrUnknownConsentState, errcode.InvalidArgument},
	"privacy/custmatch.ErrUnknownEmailRules":   {custmatch.ErrUnknownEmailRules, errcode.InvalidArgument},
	"privacy/pseudonym.ErrBadPseudonym":        {pseudonym.ErrBadPseudonym, errcode.InvalidArgument},
	"privacy/pseudonym.ErrInvalidKey":          {pseudonym.ErrInvalidKey, errcode.InvalidArgument},
	"privacy/pseudonym.ErrUnknownKey":          {pseudonym.ErrUnknownKey, errcode.InvalidArgument},
	"privacy/strip.ErrMalformed":               {strip.ErrMalformed, errcode.InvalidMedia},
	"privacy/strip.ErrTooLarge":                {strip.ErrTooLarge, errcode.TooLarge},
	"privacy/strip.ErrUnsupportedFormat":       {strip.ErrUnsupportedFormat, errcode.UnsupportedMedia},

	"stock.ErrInvalidIPTC":   {stock.ErrInvalidIPTC, errcode.InvalidMedia},
	"stock.ErrInvalidJPEG":   {stock.ErrInvalidJPEG, errcode.InvalidMedia},
	"stock.ErrInvalidXMP":    {stock.ErrInvalidXMP, errcode.InvalidMedia},
	"stock.ErrNoCSV":         {stock.ErrNoCSV, errcode.InvalidArgument},
	"stock.ErrTooLarge":      {stock.ErrTooLarge, errcode.TooLarge},
	"stock.ErrUnknownAgency": {stock.ErrUnknownAgency, errcode.InvalidArgument},

	"store.ErrInvalidDSN": {store.ErrInvalidDSN, errcode.InvalidArgument},

	"..ErrOverMaxCredits": {picfre.ErrOverMaxCredits, errcode.TooLarge},

	"internal/audio.ErrInvalidWAV":   {audio.ErrInvalidWAV, errcode.InvalidMedia},
	"internal/scratch.ErrNoLocking":  {scratch.ErrNoLocking, errcode.InvalidArgument},
	"internal/vector.ErrInvalid":     {vector.ErrInvalid, errcode.InvalidMedia},
	"internal/vector.ErrNoPreview":   {vector.ErrNoPreview, errcode.UnsupportedMedia},
	"internal/vector.ErrTooLarge":    {vector.ErrTooLarge, errcode.TooLarge},
	"internal/vector.ErrUnsupported": {vector.ErrUnsupported, errcode.UnsupportedMedia},
	"internal/video.ErrInvalid":      {video.ErrInvalid, errcode.InvalidMedia},
	"internal/video.ErrResources":    {video.ErrResources, errcode.Internal},
	"internal/video.ErrToolMissing":  {video.ErrToolMissing, errcode.UnsupportedMedia},
	"internal/video.ErrUnsupported":  {video.ErrUnsupported, errcode.UnsupportedMedia},
}

// TestEverySentinelHasItsCode: every exported sentinel of every package
// answers errcode.Of with its code, wrapped or not, matches its code and
// itself with errors.Is, and each code has one HTTP status.
func TestEverySentinelHasItsCode(t *testing.T) {
	found := declaredSentinels(t)
	for _, name := range found {
		if _, ok := sentinels[name]; !ok {
			t.Errorf("%s is declared but not in this test's table: add it with its code", name)
		}
	}
	for name, s := range sentinels {
		if !slices.Contains(found, name) {
			t.Errorf("%s is in the table but no longer declared", name)
			continue
		}
		wrapped := fmt.Errorf("op: %w", s.err)
		if got := errcode.Of(s.err); got != s.code {
			t.Errorf("%s: code %q, want %q", name, got, s.code)
		}
		if got := errcode.Of(wrapped); got != s.code {
			t.Errorf("%s wrapped: code %q, want %q", name, got, s.code)
		}
		if !errors.Is(wrapped, s.err) || !errors.Is(wrapped, s.code) {
			t.Errorf("%s: errors.Is fails for the sentinel or its code", name)
		}
		if !s.code.Valid() {
			t.Errorf("%s: %q is not a declared code", name, s.code)
		}
		for other, o := range sentinels {
			if o.err != s.err && errors.Is(s.err, o.err) {
				t.Errorf("%s matches %s", name, other)
			}
		}
	}
	statuses := map[errcode.Code]int{}
	for _, c := range errcode.Codes() {
		statuses[c] = c.HTTPStatus()
	}
	for c, s := range statuses {
		if s != c.HTTPStatus() {
			t.Errorf("%s maps to two statuses", c)
		}
	}
}

// declaredSentinels lists "pkg.ErrName" for every exported package-level
// variable named Err... in the module's library packages.
func declaredSentinels(t *testing.T) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "cmd", "examples", ".git", ".ci":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if n.IsExported() && strings.HasPrefix(n.Name, "Err") {
						out = append(out, pkg+"."+n.Name)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 40 {
		t.Fatalf("found only %d sentinels; the walk is broken", len(out))
	}
	return out
}
