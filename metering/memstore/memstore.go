package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/picfre/picfre/errcode"
	"github.com/picfre/picfre/metering/driver"
)

// store is an in-memory driver.Store. It is safe for concurrent use
// within one process; its contents are lost when the process ends.
type store struct {
	mu       sync.Mutex
	seq      int64
	accounts map[string]*account
	topups   map[string]*topup // by payment reference
	// reversals by idempotency key (Store.Reverse); keys are global,
	// like payment references.
	reversals map[string]*reversal
	// sweeping is the sweep lock of SweepLocker; a separate mutex, so
	// that a sweep's own calls do not wait for it.
	sweepMu  sync.Mutex
	sweeping bool
}

type holdState string

const (
	held     holdState = "held"
	captured holdState = "captured"
	voided   holdState = "voided"
	expired  holdState = "expired"
)

type hold struct {
	id         string
	state      holdState
	credits    int64
	task       string
	mediaType  string
	created    time.Time
	expiresAt  time.Time
	heldCounts bool // still counted in account.held
	reason     errcode.Code
	capturedAt time.Time // when state became captured
}

type topup struct {
	entry driver.Entry
	// reversed is the credits its reversals took or left owed.
	reversed int64
}

// reversal is a Reverse as it was asked, and the entry it recorded.
type reversal struct {
	paymentRef string
	asked      int64
	entry      driver.Entry
}

type usage struct {
	seq      int64
	event    driver.Event
	recorded time.Time
}

type adjustment struct {
	entry driver.Entry
}

type account struct {
	balance   int64
	held      int64 // sum of holds with heldCounts
	legalHold bool
	holds     map[string]*hold // by idempotency key
	topups    []driver.Entry
	usage     []usage
	adjust    map[string]*adjustment // by idempotency key
	adjOrder  []string
	// reversals are the account's KindReversal entries, in Seq order.
	reversals []driver.Entry
	// owed is what reversals could not take (Balance.Owed).
	owed int64

	purgedDebits  int64
	purgedThrough time.Time

	// Credits of top-ups purged by PurgeTopUps, and the time of the
	// newest of them.
	purgedCredits       int64
	purgedTopUpsThrough time.Time
}

var (
	_ driver.Store             = (*store)(nil)
	_ driver.PurgeCounter      = (*store)(nil)
	_ driver.SweepLocker       = (*store)(nil)
	_ driver.TopUpPurgeCounter = (*store)(nil)
)

// New returns an empty in-memory store, to be handed to
// metering.NewLedger.
func New() driver.Store {
	return &store{accounts: map[string]*account{}, topups: map[string]*topup{}, reversals: map[string]*reversal{}}
}

func (s *store) account(name string) *account {
	a := s.accounts[name]
	if a == nil {
		a = &account{holds: map[string]*hold{}, adjust: map[string]*adjustment{}}
		s.accounts[name] = a
	}
	return a
}

func (s *store) next() int64 { s.seq++; return s.seq }

// check verifies the invariants the SQL stores enforce with CHECK
// constraints; breaking one is a bug in this package.
func (a *account) check() {
	if a.balance < 0 || a.held < 0 || a.balance < a.held || a.owed < 0 || a.owed > driver.MaxAmount {
		panic(fmt.Sprintf("memstore: invariant broken: balance %d held %d owed %d", a.balance, a.held, a.owed))
	}
}

// TopUp implements driver.Store.
func (s *store) TopUp(ctx context.Context, r driver.TopUpRequest) (driver.Entry, error) {
	if err := ctx.Err(); err != nil {
		return driver.Entry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.topups[r.PaymentRef]; ok {
		e := t.entry
		if e.Account != r.Account || e.Credits != r.Credits || e.Amount != r.Amount || e.Currency != r.Currency {
			return driver.Entry{}, fmt.Errorf("%w: payment reference already used", driver.ErrConflict)
		}
		return e, nil
	}
	a := s.account(r.Account)
	pay := min(r.Credits, a.owed)
	if a.balance > driver.MaxAmount-(r.Credits-pay) {
		return driver.Entry{}, driver.ErrOverflow
	}
	e := driver.Entry{Seq: s.next(), Account: r.Account, Kind: driver.KindTopUp, Credits: r.Credits, Time: r.Now, Ref: r.PaymentRef,
		Amount: r.Amount, Currency: r.Currency}
	s.topups[r.PaymentRef] = &topup{entry: e}
	a.topups = append(a.topups, e)
	a.balance += r.Credits
	if pay > 0 {
		a.reversals = append(a.reversals, driver.Entry{Seq: s.next(), Account: r.Account, Kind: driver.KindReversal,
			Credits: -pay, Time: r.Now, Ref: r.PaymentRef + driver.OwedSuffix, Reason: driver.OwedReason})
		a.balance -= pay
		a.owed -= pay
	}
	a.check()
	return e, nil
}

// Reverse implements driver.Store.
func (s *store) Reverse(ctx context.Context, r driver.ReverseRequest) (driver.Entry, error) {
	if err := ctx.Err(); err != nil {
		return driver.Entry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.reversals[r.Key]; ok {
		if old.paymentRef != r.PaymentRef || old.asked != r.Credits || old.entry.Reason != r.Reason {
			return driver.Entry{}, fmt.Errorf("%w: key was used with other values", driver.ErrConflict)
		}
		return old.entry, nil
	}
	t, ok := s.topups[r.PaymentRef]
	if !ok {
		return driver.Entry{}, driver.ErrUnknownPayment
	}
	a := s.account(t.entry.Account)
	a.sweep(r.Now)
	asked := min(r.Credits, t.entry.Credits-t.reversed)
	take := min(asked, a.balance-a.held)
	if a.owed > driver.MaxAmount-(asked-take) {
		return driver.Entry{}, driver.ErrOverflow
	}
	e := driver.Entry{Seq: s.next(), Account: t.entry.Account, Kind: driver.KindReversal, Credits: -take, Time: r.Now,
		Ref: r.Key, Reason: r.Reason}
	s.reversals[r.Key] = &reversal{paymentRef: r.PaymentRef, asked: r.Credits, entry: e}
	a.reversals = append(a.reversals, e)
	t.reversed += asked
	a.balance -= take
	a.owed += asked - take
	a.check()
	return e, nil
}

// sweep expires the account's stale holds.
func (a *account) sweep(now time.Time) {
	for _, h := range a.holds {
		if h.state == held && !h.expiresAt.After(now) {
			h.state = expired
			if h.heldCounts {
				a.held -= h.credits
				h.heldCounts = false
			}
		}
	}
}

// Authorize implements driver.Store.
func (s *store) Authorize(ctx context.Context, r driver.HoldRequest) (driver.Hold, error) {
	if err := ctx.Err(); err != nil {
		return driver.Hold{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(r.Account)
	a.sweep(r.Now)
	if h, ok := a.holds[r.IdempotencyKey]; ok {
		switch h.state {
		case captured:
			if h.capturedAt.Before(r.ReplaySince) {
				break // past the replay window: a new event
			}
			if h.credits != r.Credits || h.task != r.Task || h.mediaType != r.MediaType {
				return driver.Hold{}, fmt.Errorf("%w: key was captured with other parameters", driver.ErrConflict)
			}
			return driver.Hold{ID: h.id, Account: r.Account, IdempotencyKey: r.IdempotencyKey, Credits: h.credits, Settled: true}, nil
		case held:
			return driver.Hold{}, driver.ErrInProgress
		}
	}
	if r.Credits > 0 && a.owed > 0 {
		return driver.Hold{}, driver.ErrAccountBlocked
	}
	if a.balance-a.held < r.Credits {
		return driver.Hold{}, driver.ErrInsufficientCredits
	}
	a.holds[r.IdempotencyKey] = &hold{
		id: r.HoldID, state: held, credits: r.Credits, task: r.Task, mediaType: r.MediaType,
		created: r.Now, expiresAt: r.ExpiresAt, heldCounts: true,
	}
	a.held += r.Credits
	a.check()
	return driver.Hold{ID: r.HoldID, Account: r.Account, IdempotencyKey: r.IdempotencyKey, Credits: r.Credits}, nil
}

// Capture implements driver.Store.
func (s *store) Capture(ctx context.Context, r driver.CaptureRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[r.Hold.Account]
	if a == nil {
		return driver.ErrUnknownHold
	}
	h := a.holds[r.Hold.IdempotencyKey]
	switch {
	case h == nil:
		return driver.ErrUnknownHold
	case h.state == captured:
		return nil
	case h.id != r.Hold.ID:
		return driver.ErrHoldExpired
	case h.state == voided:
		return driver.ErrHoldVoided
	}
	amount := r.Event.Credits
	if amount > h.credits {
		return driver.ErrExceedsHold
	}
	if h.state == held && h.expiresAt.After(r.Now) {
		a.held -= h.credits
		h.heldCounts = false
	} else {
		// Expired: release it and charge only what is still available.
		if h.heldCounts {
			a.held -= h.credits
			h.heldCounts = false
		}
		h.state = expired
		if a.balance-a.held < amount {
			return driver.ErrHoldExpired
		}
	}
	a.balance -= amount
	h.state, h.capturedAt = captured, r.Now
	ev := r.Event
	if ev.Task == "" {
		ev.Task = h.task
	}
	if ev.MediaType == "" {
		ev.MediaType = h.mediaType
	}
	a.usage = append(a.usage, usage{seq: s.next(), event: ev, recorded: r.Now})
	a.check()
	return nil
}

// Void implements driver.Store.
func (s *store) Void(ctx context.Context, r driver.VoidRequest) error {
	hd := r.Hold
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[hd.Account]
	if a == nil {
		return nil
	}
	h := a.holds[hd.IdempotencyKey]
	if h == nil || h.id != hd.ID || h.state != held {
		return nil
	}
	h.state, h.reason = voided, r.Reason
	if h.heldCounts {
		a.held -= h.credits
		h.heldCounts = false
	}
	a.check()
	return nil
}

// Adjust implements driver.Store.
func (s *store) Adjust(ctx context.Context, r driver.AdjustRequest) (driver.Entry, error) {
	if err := ctx.Err(); err != nil {
		return driver.Entry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(r.Account)
	if old, ok := a.adjust[r.IdempotencyKey]; ok {
		e := old.entry
		if e.Kind != r.Kind || e.Credits != r.Credits || e.Reason != r.Reason {
			return driver.Entry{}, fmt.Errorf("%w: key was used with other values", driver.ErrConflict)
		}
		return e, nil
	}
	a.sweep(r.Now)
	if a.balance-a.held+r.Credits < 0 {
		return driver.Entry{}, driver.ErrInsufficientCredits
	}
	if a.balance > driver.MaxAmount-r.Credits {
		return driver.Entry{}, driver.ErrOverflow
	}
	e := driver.Entry{Seq: s.next(), Account: r.Account, Kind: r.Kind, Credits: r.Credits, Time: r.Now, Ref: r.IdempotencyKey, Reason: r.Reason}
	a.adjust[r.IdempotencyKey] = &adjustment{entry: e}
	a.adjOrder = append(a.adjOrder, r.IdempotencyKey)
	a.balance += r.Credits
	a.check()
	return e, nil
}

// Balance implements driver.Store.
func (s *store) Balance(ctx context.Context, name string, now time.Time) (driver.Balance, error) {
	if err := ctx.Err(); err != nil {
		return driver.Balance{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[name]
	if a == nil {
		return driver.Balance{}, nil
	}
	var live int64
	for _, h := range a.holds {
		if h.state == held && h.expiresAt.After(now) {
			live += h.credits
		}
	}
	return driver.Balance{Credits: a.balance, Held: live, Available: a.balance - live, Owed: a.owed}, nil
}

// History implements driver.Store.
func (s *store) History(ctx context.Context, name string) ([]driver.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[name]
	if a == nil {
		return nil, nil
	}
	var out []driver.Entry
	if a.purgedDebits > 0 {
		out = append(out, driver.Entry{Account: name, Kind: driver.KindPurged, Credits: -a.purgedDebits, Time: a.purgedThrough})
	}
	if a.purgedCredits > 0 {
		out = append(out, driver.Entry{Account: name, Kind: driver.KindPurgedTopUps, Credits: a.purgedCredits, Time: a.purgedTopUpsThrough})
	}
	var rest []driver.Entry
	rest = append(rest, a.topups...)
	rest = append(rest, a.reversals...)
	for _, u := range a.usage {
		ev := u.event
		rest = append(rest, driver.Entry{Seq: u.seq, Account: name, Kind: driver.KindUsage, Credits: -ev.Credits, Time: u.recorded, Ref: ev.IdempotencyKey, Usage: &ev})
	}
	for _, k := range a.adjOrder {
		rest = append(rest, a.adjust[k].entry)
	}
	slices.SortFunc(rest, func(x, y driver.Entry) int { return cmp.Compare(x.Seq, y.Seq) })
	return append(out, rest...), nil
}

// ListTopUps implements driver.Store.
func (s *store) ListTopUps(ctx context.Context, name string) ([]driver.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[name]; a != nil {
		return slices.Clone(a.topups), nil
	}
	return nil, nil
}

// ListUsage implements driver.Store.
func (s *store) ListUsage(ctx context.Context, name string) ([]driver.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[name]
	if a == nil {
		return nil, nil
	}
	out := make([]driver.Event, len(a.usage))
	for i, u := range a.usage {
		out[i] = u.event
	}
	return out, nil
}

// SetLegalHold implements driver.Store.
func (s *store) SetLegalHold(ctx context.Context, name string, on bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account(name).legalHold = on
	return nil
}

// LegalHold implements driver.Store.
func (s *store) LegalHold(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[name]
	return a != nil && a.legalHold, nil
}

// fold removes the usage records for which drop is true (at most limit,
// oldest first) and folds their debits into the rollup.
func (a *account) fold(limit int, drop func(usage) bool) int {
	n := 0
	kept := a.usage[:0]
	for _, u := range a.usage {
		if n < limit && drop(u) {
			n++
			a.purgedDebits += u.event.Credits
			if u.recorded.After(a.purgedThrough) {
				a.purgedThrough = u.recorded
			}
			// Not a hold captured after this record (the key charged
			// again): its replays must still be recognised.
			if h := a.holds[u.event.IdempotencyKey]; h != nil && h.state == captured && !h.capturedAt.After(u.recorded) {
				delete(a.holds, u.event.IdempotencyKey)
			}
			continue
		}
		kept = append(kept, u)
	}
	clear(a.usage[len(kept):])
	a.usage = kept
	return n
}

// PurgeUsage implements driver.Store.
func (s *store) PurgeUsage(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Oldest first across accounts, like the SQL stores (by Seq).
	type victim struct {
		seq  int64
		name string
	}
	var vs []victim
	for name, a := range s.accounts {
		if a.legalHold {
			continue
		}
		for _, u := range a.usage {
			if u.recorded.Before(before) {
				vs = append(vs, victim{u.seq, name})
			}
		}
	}
	slices.SortFunc(vs, func(x, y victim) int { return cmp.Compare(x.seq, y.seq) })
	if len(vs) > limit {
		vs = vs[:limit]
	}
	chosen := map[int64]bool{}
	byAccount := map[string]int{}
	for _, v := range vs {
		chosen[v.seq] = true
		byAccount[v.name]++
	}
	n := 0
	for name, c := range byAccount {
		n += s.accounts[name].fold(c, func(u usage) bool { return chosen[u.seq] })
	}
	return n, nil
}

// deadHold reports whether a hold can no longer settle as of the cutoff.
func deadHold(h *hold, before time.Time) bool {
	switch h.state {
	case voided, expired:
		return h.created.Before(before)
	case held:
		return h.expiresAt.Before(before)
	}
	return false
}

// purgeHolds deletes at most limit dead holds (oldest first) of accounts
// without a legal hold, releasing the credits of those still counted as
// held. s.mu must be held.
func (s *store) purgeHolds(before time.Time, limit int) int {
	type victim struct {
		name, key string
		created   time.Time
	}
	var vs []victim
	for name, a := range s.accounts {
		if a.legalHold {
			continue
		}
		for k, h := range a.holds {
			if deadHold(h, before) {
				vs = append(vs, victim{name, k, h.created})
			}
		}
	}
	slices.SortFunc(vs, func(x, y victim) int {
		return cmp.Or(x.created.Compare(y.created), cmp.Compare(x.name, y.name), cmp.Compare(x.key, y.key))
	})
	if len(vs) > limit {
		vs = vs[:limit]
	}
	for _, v := range vs {
		a := s.accounts[v.name]
		if h := a.holds[v.key]; h.heldCounts {
			a.held -= h.credits
		}
		delete(a.holds, v.key)
		a.check()
	}
	return len(vs)
}

// PurgeHolds implements driver.Store.
func (s *store) PurgeHolds(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.purgeHolds(before, limit), nil
}

// ListAttempts implements driver.Store.
func (s *store) ListAttempts(ctx context.Context, name string) ([]driver.Attempt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[name]
	if a == nil {
		return nil, nil
	}
	var out []driver.Attempt
	for k, h := range a.holds {
		if h.state == captured {
			continue
		}
		out = append(out, driver.Attempt{Account: name, IdempotencyKey: k, State: driver.AttemptState(h.state),
			Credits: h.credits, Task: h.task, MediaType: h.mediaType, Reason: h.reason, Time: h.created, ExpiresAt: h.expiresAt})
	}
	slices.SortFunc(out, func(x, y driver.Attempt) int {
		return cmp.Or(x.Time.Compare(y.Time), cmp.Compare(x.IdempotencyKey, y.IdempotencyKey))
	})
	return out, nil
}

// EraseUsage implements driver.Store.
func (s *store) EraseUsage(ctx context.Context, name string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[name]
	if a == nil {
		return 0, nil
	}
	if a.legalHold {
		return 0, driver.ErrLegalHold
	}
	n := a.fold(len(a.usage), func(usage) bool { return true })
	for k, h := range a.holds {
		if h.state != held {
			delete(a.holds, k)
		}
	}
	return n, nil
}

// Close implements driver.Store; there is nothing to release.
func (s *store) Close() error { return nil }
