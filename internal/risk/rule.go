package risk

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"

	"github.com/saifu-pay/saifu/internal/apperr"
)

// An Action is what a decision says. They are ordered: a decision takes the
// most severe action of the rules that matched.
type Action string

// The actions, least severe first.
const (
	Allow  Action = "allow"
	StepUp Action = "step_up" // a fresh strong authentication, or 3-D Secure for cards
	// Delay makes money out wait until the time the rule's Until feature
	// names (a cooling-off period's end, a new device's recognition, a
	// new destination's first usable moment): a withdrawal is held and
	// released by time, a flow that cannot wait (P2P) is refused until
	// then. A delay whose time has passed delays nothing.
	Delay   Action = "delay"
	Hold    Action = "hold" // the money waits in a ledger hold for review
	Decline Action = "decline"
)

var actions = []Action{Allow, StepUp, Delay, Hold, Decline}

// severity orders actions; an unknown one is treated as Hold (fail safe).
func (a Action) severity() int {
	if i := slices.Index(actions, a); i >= 0 {
		return i
	}
	return slices.Index(actions, Hold)
}

// Bounds on a rule. They keep one rule's evaluation to microseconds and a
// rule set small enough to compile on every node at once.
const (
	// expressionBytesMax bounds a rule's source; the default rules are
	// under 300 bytes.
	expressionBytesMax = 4 << 10
	// nameRunesMax and reasonRunesMax bound the words an operator writes.
	nameRunesMax   = 100
	reasonRunesMax = 300
	// costLimit bounds the work of one evaluation (CEL cost units, about
	// one per operation): the estimated worst case of a rule must be under
	// it to compile, and an evaluation that reaches it stops with an error
	// (a held decision). Every feature is a scalar, so a rule over them
	// costs tens of units; string functions on a 256-byte value cost more.
	costLimit = 10_000
	// stringBytesMax is the size the cost estimate assumes for a string
	// feature (the longest is kind).
	stringBytesMax = 256
	// recursionMax bounds the nesting of an expression.
	recursionMax = 32
)

// A Rule is one rule as data: if Expression (CEL, over the features) is
// true for an event, the decision takes Action, with Reason shown to
// operators and, in safe words, to the user.
type Rule struct {
	ID         string
	Version    int
	Name       string
	Expression string
	Action     Action
	Reason     string
	// ReasonJA is Reason in Japanese, what a user reading Japanese is
	// told (empty: a general sentence instead).
	ReasonJA string
	// Until names the time feature (one of TimeFeatures) a Delay waits
	// for; empty for every other action.
	Until string
}

// A compiled rule, ready to evaluate.
type compiled struct {
	Rule
	ast   *cel.Ast
	prg   cel.Program
	reads []string // the features the expression names
}

var (
	envOnce sync.Once
	env     *cel.Env
	envErr  error
)

// celEnv is the one CEL environment: the declared features, nothing else
// (no macros that loop over unbounded input: every feature is a scalar).
func celEnv() (*cel.Env, error) {
	envOnce.Do(func() {
		opts := []cel.EnvOption{cel.ParserRecursionLimit(recursionMax), cel.ParserExpressionSizeLimit(expressionBytesMax)}
		for _, f := range features {
			opts = append(opts, cel.Variable(f.name, f.typ))
		}
		env, envErr = cel.NewEnv(opts...)
	})
	return env, envErr
}

func invalid(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return apperr.E(apperr.Invalid, msg).JA("ルールが正しくありません: " + msg)
}

// Validate checks everything of r but its expression.
func (r Rule) validate() error {
	switch {
	case strings.TrimSpace(r.Name) == "" || utf8.RuneCountInString(r.Name) > nameRunesMax || !utf8.ValidString(r.Name):
		return invalid("name must be 1 to %d characters", nameRunesMax)
	case strings.TrimSpace(r.Reason) == "" || utf8.RuneCountInString(r.Reason) > reasonRunesMax || !utf8.ValidString(r.Reason):
		return invalid("reason must be 1 to %d characters", reasonRunesMax)
	case utf8.RuneCountInString(r.ReasonJA) > reasonRunesMax || !utf8.ValidString(r.ReasonJA):
		return invalid("reason_ja must be at most %d characters", reasonRunesMax)
	case !slices.Contains(actions, r.Action):
		return invalid("action must be one of allow, step_up, delay, hold, decline")
	case r.Action == Delay && !slices.Contains(TimeFeatures, r.Until):
		return invalid("a delay must name what it waits for: until must be one of %s", strings.Join(TimeFeatures, ", "))
	case r.Action != Delay && r.Until != "":
		return invalid("until is only for a delay")
	case len(r.Expression) > expressionBytesMax:
		return invalid("expression over %d bytes", expressionBytesMax)
	case strings.TrimSpace(r.Expression) == "":
		return invalid("expression is empty")
	}
	return nil
}

// Compile checks r and compiles its expression against the features: it
// must parse, name only declared features, be a bool, and have an
// estimated worst-case cost under the limit. Errors are apperr.Invalid
// with the compiler's message.
func Compile(r Rule) (compiled, error) {
	if err := r.validate(); err != nil {
		return compiled{}, err
	}
	e, err := celEnv()
	if err != nil {
		return compiled{}, fmt.Errorf("risk: cel environment: %w", err)
	}
	ast, iss := e.Compile(r.Expression)
	if iss != nil && iss.Err() != nil {
		return compiled{}, invalid("%s", iss.Err().Error())
	}
	if ast.OutputType() != cel.BoolType {
		return compiled{}, invalid("expression must be true or false, not %s", ast.OutputType())
	}
	est, err := e.EstimateCost(ast, sizes{})
	if err != nil {
		return compiled{}, invalid("cost: %s", err.Error())
	}
	if est.Max > costLimit {
		return compiled{}, invalid("expression may cost %d, over the limit of %d", est.Max, costLimit)
	}
	prg, err := e.Program(ast, cel.CostLimit(costLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return compiled{}, invalid("%s", err.Error())
	}
	return compiled{Rule: r, ast: ast, prg: prg, reads: reads(ast)}, nil
}

// reads lists the features an expression names, from its checked AST.
func reads(ast *cel.Ast) []string {
	var out []string
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if ref.Name != "" && slices.ContainsFunc(features, func(f feature) bool { return f.name == ref.Name }) && !slices.Contains(out, ref.Name) {
			out = append(out, ref.Name)
		}
	}
	slices.Sort(out)
	return out
}

// signals returns the values of the features the rule read.
func (c compiled) signals(f Features) map[string]any {
	out := make(map[string]any, len(c.reads))
	for _, name := range c.reads {
		out[name] = f[name]
	}
	return out
}

// sizes tells the cost estimate how big a string feature may be.
type sizes struct{}

func (sizes) EstimateSize(cost.AstNode) *cost.SizeEstimate {
	return &cost.SizeEstimate{Min: 0, Max: stringBytesMax}
}

func (sizes) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

// eval evaluates the rule on normalised features.
func (c compiled) eval(f Features) (bool, error) {
	out, _, err := c.prg.Eval(map[string]any(f))
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, errors.New("risk: rule gave no bool")
	}
	return b, nil
}
