package throttle

import "strings"

// scopeKinds are the words of a key that say what is counted
// (login:ip:…, signup:email:…): with them a scope tells a flood from many
// addresses from one aimed at an account.
var scopeKinds = map[string]bool{
	"ip": true, "net": true, "acct": true, "acct-dev": true, "global": true,
	"email": true, "user": true, "dev": true, "fp": true,
}

// scopeWordsMax bounds the words of a scope: a kind word further in is
// part of who is counted, not of the throttle's name.
const scopeWordsMax = 3

// Scope is the part of key that names the throttle rather than who is
// counted: its words up to the first of scopeKinds within scopeWordsMax
// ("login:ip:203.0.113.7" → "login:ip", "ops:login:acct:…" →
// "ops:login:acct"), or its first word when there is none
// ("reauth:<session>" → "reauth"). Keys are built by saifu's code from a
// literal prefix, so scopes are few; a metrics adapter should still bound
// them.
func Scope(key string) string {
	words := strings.SplitN(key, ":", scopeWordsMax+1)
	for i, w := range words[:min(len(words), scopeWordsMax)] {
		if i > 0 && scopeKinds[w] {
			return strings.Join(words[:i+1], ":")
		}
	}
	return words[0]
}

// SetObserver makes every refusal call f with the refused key's Scope
// (metrics). Call it before the limiter is used; f must return quickly.
func (l *Limiter) SetObserver(f func(scope string)) { l.observe = f }

// Refused tells the observer of a refusal decided without Hit (a caller
// that refused after a Peek showed the window full).
func (l *Limiter) Refused(key string) {
	if l.observe != nil {
		l.observe(Scope(key))
	}
}
