package httpapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFieldProblemsHaveJapanese reads this package's source: every
// problem written as a literal into a problems map (p["amount"] = "…",
// or map[string]string{"limit": "…"}) has its Japanese in the catalogue,
// so that no `fields_ja` entry falls back to quoting the English.
func TestFieldProblemsHaveJapanese(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	check := func(pos token.Pos, lit ast.Expr) {
		b, ok := lit.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return
		}
		en, err := strconv.Unquote(b.Value)
		if err != nil {
			t.Fatal(err)
		}
		found++
		if ja := fieldProblemJA(en); strings.HasPrefix(ja, "入力内容を確認してください") {
			t.Errorf("%s: the problem %q has no Japanese in fieldProblemsJA", fset.Position(pos), en)
		}
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				// p["field"] = "problem", into a map named p or problems.
				for i, lhs := range n.Lhs {
					if ix, ok := lhs.(*ast.IndexExpr); ok && i < len(n.Rhs) {
						if id, ok := ix.X.(*ast.Ident); ok && (id.Name == "p" || id.Name == "problems") {
							check(n.Pos(), n.Rhs[i])
						}
					}
				}
				// e.Fields = map[string]string{"field": "problem"}.
				if sel, ok := n.Lhs[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "Fields" {
					if cl, ok := n.Rhs[0].(*ast.CompositeLit); ok {
						for _, el := range cl.Elts {
							check(el.Pos(), el.(*ast.KeyValueExpr).Value)
						}
					}
				}
			case *ast.FuncDecl:
				// func (q *x) Valid() map[string]string { return map[string]string{…} }
				if n.Name.Name != "Valid" || n.Body == nil {
					return true
				}
				ast.Inspect(n.Body, func(m ast.Node) bool {
					if r, ok := m.(*ast.ReturnStmt); ok && len(r.Results) == 1 {
						if cl, ok := r.Results[0].(*ast.CompositeLit); ok {
							for _, el := range cl.Elts {
								check(el.Pos(), el.(*ast.KeyValueExpr).Value)
							}
						}
					}
					return true
				})
			}
			return true
		})
	}
	if found < 20 {
		t.Fatalf("found %d problems in the source; the reader is broken", found)
	}
	// The patterns carry their numbers over.
	for en, want := range map[string]string{
		"must be between 1 and 500":      "1から500までの値を指定してください",
		"required, at most 254 bytes":    "必須です（254バイトまで）",
		"a domain package's own wording": "入力内容を確認してください（a domain package's own wording）",
	} {
		if got := fieldProblemJA(en); got != want {
			t.Errorf("fieldProblemJA(%q) = %q, want %q", en, got, want)
		}
	}
}
