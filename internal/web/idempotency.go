package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"

	"github.com/saifu-pay/saifu/internal/apperr"
	"github.com/saifu-pay/saifu/internal/idem"
)

// The money forms' idempotency: each form carries an Idempotency-Key in
// a hidden field, made when the form was rendered (newFormKey), and its
// handler runs the movement through once. It is the JSON API's protocol
// on the same records (package idem), under a scope of the pages' own
// ("web:user:…", so that no API key meets a form's): the first submit
// claims the key and runs; a repeat of the same form (a double click, a
// reload of the POST) is sent where the first went, and nothing moves
// twice; the key with another form is refused; a repeat while the first
// still runs is told so. The answer kept is the page the movement's
// result is on (a path of ours), so a replay is a redirect there. A
// refusal before the movement started keeps nothing: the form may be
// sent again. After a crash, the record names the movement and resume
// finds its page.

// formKeyField is the hidden field of the money forms.
const formKeyField = "idempotency_key"

// newFormKey is a fresh Idempotency-Key for a form being rendered.
func newFormKey() string { return randomToken() }

// formKey is the key of a money form rendered again after its submit was
// refused: the submitted one (so that sending the same form again after
// an unknown outcome finds the movement instead of making a second; a
// refusal before the start kept nothing, and the key runs anew), or a
// fresh one on a first render.
func formKey(r *http.Request) string {
	if r.Method == http.MethodPost {
		if k := r.PostFormValue(formKeyField); validFormKey(k) {
			return k
		}
	}
	return newFormKey()
}

// forgetKeyIfReused makes the form rendered after err carry a fresh key
// when err says the key already named another request (the page was
// changed after a movement it started: the next submit is a new one).
func forgetKeyIfReused(r *http.Request, err error) {
	if apperr.CodeOf(err) == apperr.IdempotencyKeyReused {
		r.PostForm.Del(formKeyField)
	}
}

// formHash is what makes two submits "the same form": the path and every
// field but the CSRF token and the key, in a fixed order.
func formHash(r *http.Request) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", r.Method, r.URL.Path)
	names := make([]string, 0, len(r.PostForm))
	for k := range r.PostForm {
		if k != "csrf" && k != formKeyField {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(h, "%q=%q\n", k, r.PostForm[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// errFormKey: a money form without its key (an old page, a forged post).
func errFormKey() error {
	return apperr.E(apperr.IdempotencyKeyRequired, "this form has expired; open it again").JA("このフォームは無効です。もう一度開いてください")
}

// once runs start (which starts one movement and returns the path of its
// page) at most once for the form's Idempotency-Key, then redirects the
// browser to that page. resume answers the page of the movement a dead
// request started (its id from the record). An error is returned as the
// handler's.
func (s *server) once(w http.ResponseWriter, r *http.Request, start func(context.Context) (string, error), resume func(context.Context, string) (string, error)) error {
	key := r.PostFormValue(formKeyField)
	if !validFormKey(key) {
		return errFormKey()
	}
	ctx := r.Context()
	got, err := s.d.Idem.Begin(ctx, "web:user:"+stateOf(r).sess.UserID, key, formHash(r))
	if err != nil {
		return err
	}
	if got.Replay != nil {
		http.Redirect(w, r, safeNext(got.Replay.Body), http.StatusSeeOther)
		return nil
	}
	claim := got.Claim
	stop := s.d.Idem.KeepAlive(claim)
	var path string
	if got.OpID != "" {
		path, err = resume(ctx, got.OpID)
	} else {
		path, err = start(idem.With(ctx, claim))
	}
	stop()
	done := context.WithoutCancel(ctx)
	if err != nil {
		// Nothing to replay: a refusal before the start leaves no record
		// (the form may be sent again); an unknown outcome after it keeps
		// the record for the next submit to resume.
		if rerr := s.d.Idem.Release(done, claim); rerr != nil {
			s.d.Log.Error("web: release idempotency key", "err", rerr)
		}
		return err
	}
	if ferr := s.d.Idem.Finish(done, claim, idem.Answer{Status: http.StatusSeeOther, Body: path}); ferr != nil {
		s.d.Log.Error("web: store idempotency answer", "err", ferr)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// validFormKey: as the API's Idempotency-Key, 1–255 printable ASCII.
func validFormKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}
