package staas_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// listedPackage is what the tests below read of `go list -json`.
type listedPackage struct {
	ImportPath string
	Name       string
	Doc        string // the first sentence of the package comment
	Imports    []string
}

var (
	listOnce sync.Once
	listed   []listedPackage
	listErr  error
)

// goList lists every package of the module, as `go list ./...` does,
// without test files: what ships and what a non-test build imports.
func goList(t *testing.T) []listedPackage {
	t.Helper()
	listOnce.Do(func() {
		out, err := exec.Command("go", "list", "-json=ImportPath,Name,Doc,Imports", "./...").Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				err = errors.New(err.Error() + ": " + string(ee.Stderr))
			}
			listErr = err
			return
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		for {
			var p listedPackage
			if err := dec.Decode(&p); err == io.EOF {
				break
			} else if err != nil {
				listErr = err
				return
			}
			listed = append(listed, p)
		}
	})
	if listErr != nil {
		t.Fatalf("go list ./...: %v", listErr)
	}
	if len(listed) == 0 {
		t.Fatal("go list ./... listed no package")
	}
	return listed
}

// staasImports are the imports of p within module staas.
func staasImports(p listedPackage) []string {
	var out []string
	for _, imp := range p.Imports {
		if imp == "staas" || strings.HasPrefix(imp, "staas/") {
			out = append(out, imp)
		}
	}
	return out
}

// `go doc` of every package shows a package comment that says what the
// package is: "Package NAME …" (or "Command NAME …" for a command), more
// than a restatement of the name.
func TestPackages_HaveAPackageComment(t *testing.T) {
	for _, p := range goList(t) {
		lead := "Package " + p.Name + " "
		if p.Name == "main" {
			lead = "Command "
		}
		switch {
		case p.Doc == "":
			t.Errorf("%s has no package comment: add one (\"// %s…\") above its package clause in one non-test file", p.ImportPath, lead)
		case !strings.HasPrefix(p.Doc, lead):
			t.Errorf("%s's package comment starts %q; go doc expects %q", p.ImportPath, p.Doc, lead+"…")
		case len(strings.Fields(p.Doc)) < 8:
			t.Errorf("%s's package comment says only %q: say what the package is and what it holds", p.ImportPath, p.Doc)
		}
	}
}
