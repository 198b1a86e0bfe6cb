package contactstore

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/privacy/custmatch"
	"github.com/picfre/picfre/privacy/driver"
)

func newRemovalID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// errAccountChanged: an UpdateContact callback returned another account's
// record.
var errAccountChanged = errcode.New(errcode.Internal, "contactstore: update changed the contact's account")

// replaced returns the removal to queue when new no longer has a hash old
// had, and false when there is none.
func replaced(old driver.Contact, exists bool, new driver.Contact, now time.Time) (driver.PendingRemoval, bool) {
	if !exists {
		return driver.PendingRemoval{}, false
	}
	r := driver.PendingRemoval{ID: newRemovalID(), Reason: custmatch.ReasonReplaced, CreatedAt: now}
	if old.EmailSHA256 != "" && old.EmailSHA256 != new.EmailSHA256 {
		r.EmailSHA256, r.EmailRules = old.EmailSHA256, old.EmailRules
	}
	if old.PhoneSHA256 != "" && old.PhoneSHA256 != new.PhoneSHA256 {
		r.PhoneSHA256 = old.PhoneSHA256
	}
	return r, r.EmailSHA256 != "" || r.PhoneSHA256 != ""
}
