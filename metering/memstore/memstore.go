package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/picfre/picfre/metering"
)

// Store is an in-memory metering.Store. It is safe for concurrent use
// within one process; its contents are lost when the process ends.
type Store struct {
	mu       sync.Mutex
	seq      int64
	accounts map[string]*account
	topups   map[string]*topup // by payment reference
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
}

type topup struct {
	entry metering.Entry
}

type usage struct {
	seq      int64
	event    metering.Event
	recorded time.Time
}

type adjustment struct {
	entry metering.Entry
}

type account struct {
	balance   int64
	held      int64 // sum of holds with heldCounts
	legalHold bool
	holds     map[string]*hold // by idempotency key
	topups    []metering.Entry
	usage     []usage
	adjust    map[string]*adjustment // by idempotency key
	adjOrder  []string

	purgedDebits  int64
	purgedThrough time.Time

	// Credits of top-ups purged by PurgeTopUps, and the time of the
	// newest of them.
	purgedCredits       int64
	purgedTopUpsThrough time.Time
}

var (
	_ metering.Store             = (*Store)(nil)
	_ metering.PurgeCounter      = (*Store)(nil)
	_ metering.SweepLocker       = (*Store)(nil)
	_ metering.TopUpPurgeCounter = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{accounts: map[string]*account{}, topups: map[string]*topup{}}
}

func (s *Store) account(name string) *account {
	a := s.accounts[name]
	if a == nil {
		a = &account{holds: map[string]*hold{}, adjust: map[string]*adjustment{}}
		s.accounts[name] = a
	}
	return a
}

func (s *Store) next() int64 { s.seq++; return s.seq }

// check verifies the invariants the SQL stores enforce with CHECK
// constraints; breaking one is a bug in this package.
func (a *account) check() {
	if a.balance < 0 || a.held < 0 || a.balance < a.held {
		panic(fmt.Sprintf("memstore: invariant broken: balance %d held %d", a.balance, a.held))
	}
}

// TopUp implements metering.Store.
func (s *Store) TopUp(ctx context.Context, r metering.TopUpRequest) (metering.Entry, error) {
	if err := ctx.Err(); err != nil {
		return metering.Entry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.topups[r.PaymentRef]; ok {
		if t.entry.Account != r.Account || t.entry.Credits != r.Credits {
			return metering.Entry{}, fmt.Errorf("%w: payment reference already used", metering.ErrConflict)
		}
		return t.entry, nil
	}
	a := s.account(r.Account)
	e := metering.Entry{Seq: s.next(), Account: r.Account, Kind: metering.KindTopUp, Credits: r.Credits, Time: r.Now, Ref: r.PaymentRef}
	s.topups[r.PaymentRef] = &topup{entry: e}
	a.topups = append(a.topups, e)
	a.balance += r.Credits
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

// Authorize implements metering.Store.
func (s *Store) Authorize(ctx context.Context, r metering.HoldRequest) (metering.Hold, error) {
	if err := ctx.Err(); err != nil {
		return metering.Hold{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(r.Account)
	a.sweep(r.Now)
	if h, ok := a.holds[r.IdempotencyKey]; ok {
		switch h.state {
		case captured:
			if h.credits != r.Credits || h.task != r.Task || h.mediaType != r.MediaType {
				return metering.Hold{}, fmt.Errorf("%w: key was captured with other parameters", metering.ErrConflict)
			}
			return metering.Hold{ID: h.id, Account: r.Account, IdempotencyKey: r.IdempotencyKey, Credits: h.credits, Settled: true}, nil
		case held:
			return metering.Hold{}, metering.ErrInProgress
		}
	}
	if a.balance-a.held < r.Credits {
		return metering.Hold{}, metering.ErrInsufficientCredits
	}
	a.holds[r.IdempotencyKey] = &hold{
		id: r.HoldID, state: held, credits: r.Credits, task: r.Task, mediaType: r.MediaType,
		created: r.Now, expiresAt: r.ExpiresAt, heldCounts: true,
	}
	a.held += r.Credits
	a.check()
	return metering.Hold{ID: r.HoldID, Account: r.Account, IdempotencyKey: r.IdempotencyKey, Credits: r.Credits}, nil
}

// Capture implements metering.Store.
func (s *Store) Capture(ctx context.Context, r metering.CaptureRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[r.Hold.Account]
	if a == nil {
		return metering.ErrUnknownHold
	}
	h := a.holds[r.Hold.IdempotencyKey]
	switch {
	case h == nil:
		return metering.ErrUnknownHold
	case h.state == captured:
		return nil
	case h.id != r.Hold.ID:
		return metering.ErrHoldExpired
	case h.state == voided:
		return metering.ErrHoldVoided
	}
	amount := r.Event.Credits
	if amount > h.credits {
		return metering.ErrExceedsHold
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
			return metering.ErrHoldExpired
		}
	}
	a.balance -= amount
	h.state = captured
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

// Void implements metering.Store.
func (s *Store) Void(ctx context.Context, hd metering.Hold, _ time.Time) error {
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
	h.state = voided
	if h.heldCounts {
		a.held -= h.credits
		h.heldCounts = false
	}
	a.check()
	return nil
}

// Adjust implements metering.Store.
func (s *Store) Adjust(ctx context.Context, r metering.AdjustRequest) (metering.Entry, error) {
	if err := ctx.Err(); err != nil {
		return metering.Entry{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(r.Account)
	if old, ok := a.adjust[r.IdempotencyKey]; ok {
		e := old.entry
		if e.Kind != r.Kind || e.Credits != r.Credits || e.Reason != r.Reason {
			return metering.Entry{}, fmt.Errorf("%w: key was used with other values", metering.ErrConflict)
		}
		return e, nil
	}
	a.sweep(r.Now)
	if a.balance-a.held+r.Credits < 0 {
		return metering.Entry{}, metering.ErrInsufficientCredits
	}
	e := metering.Entry{Seq: s.next(), Account: r.Account, Kind: r.Kind, Credits: r.Credits, Time: r.Now, Ref: r.IdempotencyKey, Reason: r.Reason}
	a.adjust[r.IdempotencyKey] = &adjustment{entry: e}
	a.adjOrder = append(a.adjOrder, r.IdempotencyKey)
	a.balance += r.Credits
	a.check()
	return e, nil
}

// Balance implements metering.Store.
func (s *Store) Balance(ctx context.Context, name string, now time.Time) (metering.Balance, error) {
	if err := ctx.Err(); err != nil {
		return metering.Balance{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[name]
	if a == nil {
		return metering.Balance{}, nil
	}
	var live int64
	for _, h := range a.holds {
		if h.state == held && h.expiresAt.After(now) {
			live += h.credits
		}
	}
	return metering.Balance{Credits: a.balance, Held: live, Available: a.balance - live}, nil
}

// History implements metering.Store.
func (s *Store) History(ctx context.Context, name string) ([]metering.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[name]
	if a == nil {
		return nil, nil
	}
	var out []metering.Entry
	if a.purgedDebits > 0 {
		out = append(out, metering.Entry{Account: name, Kind: metering.KindPurged, Credits: -a.purgedDebits, Time: a.purgedThrough})
	}
	if a.purgedCredits > 0 {
		out = append(out, metering.Entry{Account: name, Kind: metering.KindPurgedTopUps, Credits: a.purgedCredits, Time: a.purgedTopUpsThrough})
	}
	var rest []metering.Entry
	rest = append(rest, a.topups...)
	for _, u := range a.usage {
		ev := u.event
		rest = append(rest, metering.Entry{Seq: u.seq, Account: name, Kind: metering.KindUsage, Credits: -ev.Credits, Time: u.recorded, Ref: ev.IdempotencyKey, Usage: &ev})
	}
	for _, k := range a.adjOrder {
		rest = append(rest, a.adjust[k].entry)
	}
	slices.SortFunc(rest, func(x, y metering.Entry) int { return cmp.Compare(x.Seq, y.Seq) })
	return append(out, rest...), nil
}

// ListTopUps implements metering.Store.
func (s *Store) ListTopUps(ctx context.Context, name string) ([]metering.Entry, error) {
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

// ListUsage implements metering.Store.
func (s *Store) ListUsage(ctx context.Context, name string) ([]metering.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[name]
	if a == nil {
		return nil, nil
	}
	out := make([]metering.Event, len(a.usage))
	for i, u := range a.usage {
		out[i] = u.event
	}
	return out, nil
}

// SetLegalHold implements metering.Store.
func (s *Store) SetLegalHold(ctx context.Context, name string, on bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account(name).legalHold = on
	return nil
}

// LegalHold implements metering.Store.
func (s *Store) LegalHold(ctx context.Context, name string) (bool, error) {
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
			if h := a.holds[u.event.IdempotencyKey]; h != nil && h.state == captured {
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

// PurgeUsage implements metering.Store.
func (s *Store) PurgeUsage(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, fmt.Errorf("%w: limit must be positive", metering.ErrInvalid)
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
func (s *Store) purgeHolds(before time.Time, limit int) int {
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

// PurgeHolds implements metering.Store.
func (s *Store) PurgeHolds(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, fmt.Errorf("%w: limit must be positive", metering.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.purgeHolds(before, limit), nil
}

// ListAttempts implements metering.Store.
func (s *Store) ListAttempts(ctx context.Context, name string) ([]metering.Attempt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[name]
	if a == nil {
		return nil, nil
	}
	var out []metering.Attempt
	for k, h := range a.holds {
		if h.state == captured {
			continue
		}
		out = append(out, metering.Attempt{Account: name, IdempotencyKey: k, State: metering.AttemptState(h.state),
			Credits: h.credits, Task: h.task, MediaType: h.mediaType, Time: h.created, ExpiresAt: h.expiresAt})
	}
	slices.SortFunc(out, func(x, y metering.Attempt) int {
		return cmp.Or(x.Time.Compare(y.Time), cmp.Compare(x.IdempotencyKey, y.IdempotencyKey))
	})
	return out, nil
}

// EraseUsage implements metering.Store.
func (s *Store) EraseUsage(ctx context.Context, name string) (int, error) {
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
		return 0, metering.ErrLegalHold
	}
	n := a.fold(len(a.usage), func(usage) bool { return true })
	for k, h := range a.holds {
		if h.state != held {
			delete(a.holds, k)
		}
	}
	return n, nil
}
