package httpapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// What the Go source says an operation can do, read with go/ast so that the
// document's structural rules (openapi_rules_test.go) follow the code and
// not a list kept by hand: whether a handler decodes a JSON body, which
// HTTP statuses it writes literally, and whether it can reach a refusal
// with apperr.RateLimited.
//
// Calls are resolved by name, without type information: f(...) to f of the
// same package, pkg.F(...) to F of that package, x.M(...) to every method
// M of the analysed packages that takes as many arguments. That
// over-approximates (two such methods of one name are one), which errs on
// the side of declaring a status.

// srcFunc is one function or method declaration.
type srcFunc struct {
	pkg      string // directory under internal/, e.g. "identity/password"
	name     string
	params   int  // parameters, the variadic one included
	variadic bool // the last parameter is ...T
	body     *ast.BlockStmt
	file     *ast.File
}

// takes reports whether a call with n arguments can call f.
func (f *srcFunc) takes(n int, spread bool) bool {
	if f.variadic {
		return n >= f.params-1 || spread
	}
	return n == f.params
}

// srcIndex is the analysed source: every non-test file of internal/.
type srcIndex struct {
	funcs   map[string]map[string][]*srcFunc // pkg → name → funcs (plain functions)
	methods map[string][]*srcFunc            // name → methods of every package
	local   map[string]map[string][]*srcFunc // pkg → name → methods of that package
	imports map[*ast.File]map[string]string  // file → import name → pkg dir
}

// srcFilesMax bounds the files parsed (internal/ has about 300).
const srcFilesMax = 2000

const modulePrefix = "github.com/saifu-pay/saifu/internal/"

func loadSource(t testing.TB) *srcIndex {
	t.Helper()
	ix := &srcIndex{
		funcs:   map[string]map[string][]*srcFunc{},
		methods: map[string][]*srcFunc{},
		local:   map[string]map[string][]*srcFunc{},
		imports: map[*ast.File]map[string]string{},
	}
	root := ".."
	fset := token.NewFileSet()
	n := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if n++; n > srcFilesMax {
			t.Fatalf("more than %d source files under internal/", srcFilesMax)
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		imps := map[string]string{}
		for _, is := range f.Imports {
			p, _ := strconv.Unquote(is.Path.Value)
			name := p[strings.LastIndex(p, "/")+1:]
			if is.Name != nil {
				name = is.Name.Name
			}
			imps[name] = strings.TrimPrefix(p, modulePrefix)
		}
		ix.imports[f] = imps
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			sf := &srcFunc{pkg: pkg, name: fd.Name.Name, body: fd.Body, file: f}
			for _, fl := range fd.Type.Params.List {
				sf.params += max(len(fl.Names), 1)
				_, sf.variadic = fl.Type.(*ast.Ellipsis)
			}
			if fd.Recv != nil {
				ix.methods[sf.name] = append(ix.methods[sf.name], sf)
				if ix.local[pkg] == nil {
					ix.local[pkg] = map[string][]*srcFunc{}
				}
				ix.local[pkg][sf.name] = append(ix.local[pkg][sf.name], sf)
				continue
			}
			if ix.funcs[pkg] == nil {
				ix.funcs[pkg] = map[string][]*srcFunc{}
			}
			ix.funcs[pkg][sf.name] = append(ix.funcs[pkg][sf.name], sf)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// callees resolves the calls in f's body (closures included). With
// samePkg, only callees of f's own package are followed.
func (ix *srcIndex) callees(f *srcFunc, samePkg bool) []*srcFunc {
	var out []*srcFunc
	ast.Inspect(f.body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fun := call.Fun
		if ie, ok := fun.(*ast.IndexExpr); ok { // f[T](...)
			fun = ie.X
		}
		switch x := fun.(type) {
		case *ast.Ident:
			out = append(out, ix.funcs[f.pkg][x.Name]...)
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				if pkg, isPkg := ix.imports[f.file][id.Name]; isPkg {
					if !samePkg || pkg == f.pkg {
						out = append(out, ix.funcs[pkg][x.Sel.Name]...)
					}
					return true
				}
			}
			cands := ix.methods[x.Sel.Name]
			if samePkg {
				cands = ix.local[f.pkg][x.Sel.Name]
			}
			for _, m := range cands {
				if m.takes(len(call.Args), call.Ellipsis.IsValid()) {
					out = append(out, m)
				}
			}
		}
		return true
	})
	return out
}

// reach visits f and everything it calls, transitively, once each, and
// reports whether visit returned true for any of them.
func (ix *srcIndex) reach(start []*srcFunc, samePkg bool, visit func(*srcFunc) bool) bool {
	seen := map[*srcFunc]bool{}
	stack := append([]*srcFunc(nil), start...)
	found := false
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[f] {
			continue
		}
		seen[f] = true
		if visit(f) {
			found = true
		}
		stack = append(stack, ix.callees(f, samePkg)...)
	}
	return found
}

// handler finds the declaration of a route's handler (a function or, in
// the sandbox, a method) in pkg.
func (ix *srcIndex) handler(pkg, name string) []*srcFunc {
	if fs := ix.funcs[pkg][name]; len(fs) > 0 {
		return fs
	}
	return ix.local[pkg][name]
}

// decodesJSON: the handler reads a JSON request body (httpapi's decode[T]
// or the sandbox's decodeJSON), in its own package.
func (ix *srcIndex) decodesJSON(h []*srcFunc) bool {
	return ix.reach(h, true, func(f *srcFunc) bool {
		found := false
		ast.Inspect(f.body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fun := call.Fun
			if ie, ok := fun.(*ast.IndexExpr); ok {
				fun = ie.X
			}
			if id, ok := fun.(*ast.Ident); ok && (id.Name == "decode" || id.Name == "decodeJSON") {
				found = true
			}
			return true
		})
		return found
	})
}

// parsesForm: the handler reads an HTML form (the sandbox's pages).
func (ix *srcIndex) parsesForm(h []*srcFunc) bool {
	return ix.reach(h, true, func(f *srcFunc) bool {
		found := false
		ast.Inspect(f.body, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && (id.Name == "parseForm" || id.Name == "ParseForm" || id.Name == "PostForm") {
				found = true
			}
			return true
		})
		return found
	})
}

// rateLimited: the handler can reach an apperr.E or apperr.Wrap with the
// code apperr.RateLimited, in any package.
func (ix *srcIndex) rateLimited(h []*srcFunc) bool {
	return ix.reach(h, false, func(f *srcFunc) bool {
		found := false
		ast.Inspect(f.body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			if sel, ok := call.Args[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "RateLimited" {
				if id, ok := sel.X.(*ast.Ident); ok && ix.imports[f.file][id.Name] == "apperr" {
					found = true
				}
			}
			return true
		})
		return found
	})
}

// literalStatuses: the net/http status constants the handler passes as an
// argument to a call (encode(w, r, http.StatusCreated, ...), fail(...),
// s.render(w, http.StatusOK, ...), http.Redirect(..., http.StatusFound)),
// in its own package; unknown lists constants missing from httpStatusConst.
func (ix *srcIndex) literalStatuses(h []*srcFunc) (out map[int]bool, unknown []string) {
	out = map[int]bool{}
	ix.reach(h, true, func(f *srcFunc) bool {
		ast.Inspect(f.body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			for _, a := range call.Args {
				sel, ok := a.(*ast.SelectorExpr)
				if !ok || !strings.HasPrefix(sel.Sel.Name, "Status") {
					continue
				}
				if id, ok := sel.X.(*ast.Ident); !ok || ix.imports[f.file][id.Name] != "net/http" {
					continue
				}
				if code, ok := httpStatusConst[sel.Sel.Name]; ok {
					out[code] = true
				} else {
					unknown = append(unknown, sel.Sel.Name)
				}
			}
			return true
		})
		return false
	})
	return out, unknown
}

// httpStatusConst names the net/http constants the code uses.
var httpStatusConst = map[string]int{
	"StatusOK": 200, "StatusCreated": 201, "StatusAccepted": 202, "StatusNoContent": 204,
	"StatusFound": 302, "StatusSeeOther": 303,
	"StatusBadRequest": 400, "StatusUnauthorized": 401, "StatusForbidden": 403, "StatusNotFound": 404,
	"StatusMethodNotAllowed": 405, "StatusConflict": 409, "StatusGone": 410, "StatusRequestEntityTooLarge": 413,
	"StatusUnsupportedMediaType": 415, "StatusUnprocessableEntity": 422, "StatusTooManyRequests": 429,
	"StatusInternalServerError": 500, "StatusBadGateway": 502, "StatusServiceUnavailable": 503,
}
