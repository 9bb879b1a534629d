package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"

	"github.com/saifu-pay/saifu/internal/idem"
)

// Money forms are idempotent: the page that shows one puts a fresh key in
// its hidden idempotencyField, and the post runs through once, on the
// same idempotency records (package idem) as the JSON API's, in the
// user's scope with keys of their own ("web:…"). A second submit of the
// same form (a double tap, a reload, a retry after a lost answer) is sent
// where the first went and moves no money; while the first still runs it
// is told so; the same key with other fields is refused.

// idempotencyField names the hidden field of a money form.
const idempotencyField = "idempotency_key"

// idempotencyKeyBytesMax bounds the key (the API's bound).
const idempotencyKeyBytesMax = 255

// newIdempotencyKey is the key a money form is rendered with.
func newIdempotencyKey() string { return randomToken() }

// once runs op, which moves money and binds its operation to the claim
// in its context (idem.Claim.Bind), at most once for the form's key;
// op returns the local path to show next (the operation's receipt).
// resume is that path for an operation an earlier request with the key
// started but did not answer (it died).
func (s *server) once(w http.ResponseWriter, r *http.Request, op func(ctx context.Context) (string, error), resume func(opID string) string) error {
	key := r.PostFormValue(idempotencyField)
	if key == "" || len(key) > idempotencyKeyBytesMax {
		return errRequired()
	}
	ctx := r.Context()
	scope := "user:" + stateOf(r).sess.UserID
	got, err := s.d.Idem.Begin(ctx, scope, "web:"+key, formHash(r))
	if err != nil {
		return err
	}
	if got.Replay != nil {
		next := "/history"
		if got.Replay.Status == http.StatusSeeOther {
			next = safeNext(got.Replay.Body)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	claim := got.Claim
	stop := s.d.Idem.KeepAlive(claim)
	defer stop()
	detached := context.WithoutCancel(ctx)
	if got.OpID != "" {
		next := resume(got.OpID)
		if err := s.d.Idem.Finish(detached, claim, idem.Answer{Status: http.StatusSeeOther, Body: next}); err != nil {
			return err
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	next, err := op(idem.With(ctx, claim))
	stop()
	switch {
	case err == nil:
		err = s.d.Idem.Finish(detached, claim, idem.Answer{Status: http.StatusSeeOther, Body: next})
		if err != nil {
			return err
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	case statusOf(err) >= 500:
		// Its outcome is unknown: a retry with the key recovers it.
		if rerr := s.d.Idem.Release(detached, claim); rerr != nil {
			s.d.Log.Error("web: release idempotency claim", "err", rerr)
		}
		return err
	default:
		// A refusal: kept only if the operation started (Finish forgets
		// one that did not, and a corrected retry runs anew).
		if ferr := s.d.Idem.Finish(detached, claim, idem.Answer{Status: statusOf(err)}); ferr != nil {
			return ferr
		}
		return err
	}
}

// formHash identifies a money form's content: its path and every field
// but the CSRF token and the key.
func formHash(r *http.Request) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", r.URL.Path)
	names := make([]string, 0, len(r.PostForm))
	for k := range r.PostForm {
		if k != csrfField && k != idempotencyField {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(h, "%q=%q\n", k, r.PostForm[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}
