package whmcsbridge

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLeaf: the protocol imports only package staas and the standard
// library, so the shim's side of staas never pulls in the adapter, the
// store or the configuration (import paths of the standard library have
// no dot in their first element; staas's own start with "staas/").
func TestLeaf(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			if path != "staas" && (first == "staas" || strings.Contains(first, ".")) {
				t.Errorf("%s imports %s: whmcsbridge may import only staas and the standard library", name, path)
			}
		}
	}
}
