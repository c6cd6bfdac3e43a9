package mesh

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/meshd/meshd/internal/core"
)

// Every reason of the engine has an exported constant here, named after the
// reason (bad-key: DropBadKey) and defined as the core's constant of the
// same name, with a doc comment; and names survive a text round trip.
func TestEveryDropReasonHasADocumentedConstant(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "drops.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]string{} // constant -> the core constant it converts
	documented := map[string]bool{}
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				call, ok := vs.Values[i].(*ast.CallExpr)
				if !ok || len(call.Args) != 1 {
					continue
				}
				if sel, ok := call.Args[0].(*ast.SelectorExpr); ok {
					defined[name.Name] = sel.Sel.Name
					documented[name.Name] = vs.Doc != nil && strings.HasPrefix(vs.Doc.Text(), name.Name+":")
				}
			}
		}
	}
	for _, r := range core.DropReasons() {
		want := "Drop"
		for _, part := range strings.Split(r.String(), "-") {
			want += strings.ToUpper(part[:1]) + part[1:]
		}
		switch got, ok := defined[want]; {
		case !ok:
			t.Errorf("reason %s: no constant %s in drops.go", r, want)
		case got != want:
			t.Errorf("%s is core.%s, want core.%s", want, got, want)
		case !documented[want]:
			t.Errorf("%s has no doc comment starting %q", want, want+":")
		}
		var back DropReason
		if err := back.UnmarshalText([]byte(r.String())); err != nil || back != DropReason(r) {
			t.Errorf("%s: text round trip gave %v, %v", r, back, err)
		}
	}
	if len(defined) != len(core.DropReasons()) {
		t.Errorf("%d constants for %d reasons", len(defined), len(core.DropReasons()))
	}
}
