package metering

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/picfre/picfre/errcode"
)

// Multi returns a Hook that fans out to hooks, in order: a file is
// authorized only when every hook authorizes it, and it is captured or
// voided on every hook. It is safe for concurrent use when the hooks are.
//
// When one hook refuses, the holds already taken by the earlier ones are
// voided and that hook's error is returned. The hold Multi returns carries
// every hook's own hold inside its ID, so it must be passed back
// unchanged; it is Settled only when every hook's hold is.
func Multi(hooks ...Hook) Hook {
	return multi(append([]Hook(nil), hooks...))
}

type multi []Hook

const multiPrefix = "multi:"

// subHold is the part of each hook's hold that Account and key don't give.
type subHold struct {
	ID      string `json:"i"`
	Credits int64  `json:"c"`
	Settled bool   `json:"s,omitempty"`
}

func (m multi) Authorize(ctx context.Context, a Authorization) (Hold, error) {
	subs := make([]subHold, 0, len(m))
	holds := make([]Hold, 0, len(m))
	for i, h := range m {
		hold, err := h.Authorize(ctx, a)
		if err != nil {
			vctx := context.WithoutCancel(ctx)
			for j := i - 1; j >= 0; j-- {
				_ = m[j].Void(vctx, holds[j], errcode.Of(err)) // best effort; the hold expires anyway
			}
			return Hold{}, err
		}
		holds = append(holds, hold)
		subs = append(subs, subHold{ID: hold.ID, Credits: hold.Credits, Settled: hold.Settled})
	}
	b, err := json.Marshal(subs)
	if err != nil {
		return Hold{}, errcode.Errorf(errcode.Internal, "metering: multi: %w", err)
	}
	settled := len(subs) > 0
	for _, s := range subs {
		settled = settled && s.Settled
	}
	return Hold{
		ID:             multiPrefix + base64.RawURLEncoding.EncodeToString(b),
		Account:        a.Account,
		IdempotencyKey: a.IdempotencyKey,
		Credits:        a.Credits,
		Settled:        settled,
	}, nil
}

// split recovers each hook's hold from a hold made by Authorize.
func (m multi) split(h Hold) ([]Hold, error) {
	raw, ok := strings.CutPrefix(h.ID, multiPrefix)
	if !ok {
		return nil, fmt.Errorf("metering: multi: %w: not a multi hold", ErrUnknownHold)
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("metering: multi: %w: malformed hold", ErrUnknownHold)
	}
	var subs []subHold
	if err := json.Unmarshal(b, &subs); err != nil || len(subs) != len(m) {
		return nil, fmt.Errorf("metering: multi: %w: malformed hold", ErrUnknownHold)
	}
	out := make([]Hold, len(subs))
	for i, s := range subs {
		out[i] = Hold{ID: s.ID, Account: h.Account, IdempotencyKey: h.IdempotencyKey, Credits: s.Credits, Settled: s.Settled}
	}
	return out, nil
}

func (m multi) Capture(ctx context.Context, h Hold, e Event) error {
	holds, err := m.split(h)
	if err != nil {
		return err
	}
	var errs []error
	for i, hk := range m {
		errs = append(errs, hk.Capture(ctx, holds[i], e))
	}
	return errors.Join(errs...)
}

func (m multi) Void(ctx context.Context, h Hold, reason errcode.Code) error {
	holds, err := m.split(h)
	if err != nil {
		return err
	}
	var errs []error
	for i, hk := range m {
		errs = append(errs, hk.Void(ctx, holds[i], reason))
	}
	return errors.Join(errs...)
}
