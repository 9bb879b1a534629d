// Package risk decides, before money moves or a credential changes,
// whether an event is allowed, needs a step-up (a fresh strong
// authentication, or 3-D Secure for a card), is held for a person to
// review, or is declined — with reasons a person can read (rule id and
// version, the signal values it saw). It knows nothing of HTTP; the domain
// services ask it, so every surface gets the same decision.
//
// Rules are data, written in CEL (cel.dev/cel-go) over a declared schema
// of features (features.go). CEL rather than expr-lang/expr because it is
// made for exactly this — policies evaluated on a hot path, written by
// people other than the engineers: it is not Turing-complete, expressions
// are type-checked against the declared variables before they are
// accepted (a rule naming an unknown field never compiles), and it
// estimates a rule's worst-case cost before it runs and enforces a cost
// limit while it runs. expr-lang/expr is a fine language, but its type
// checking is optional and it has no static cost estimate.
//
// What it promises:
//   - A rule is compiled once per version; one that does not parse, names
//     an unknown feature, is not a bool, is too big, nests too deep, or may
//     cost more than the limit is refused with apperr.Invalid.
//   - A rule that errs while evaluating (division by zero, overflow, the
//     cost limit) holds the event, never allows it, and its result records
//     the error; so does an engine that cannot read its rules.
//   - A decision takes the most severe action of the matching rules; it is
//     recorded with every feature it saw and every rule's result, so that a
//     backtest of a draft replays exactly what past decisions saw
//     (velocity features included, which is why they are stored).
//   - A version is a draft until published (through a four-eyes approval,
//     whose apply step is Publish); the live set is reloaded by every node
//     within liveCheckEvery of a publication.
//   - DefaultRules encode saifu's fixed controls and the incidents of
//     PRODUCT.md, each naming its incident.
package risk
