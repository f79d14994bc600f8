package staas_test

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// archTable reads the "Rooms" table of docs/architecture.md: each
// package's import path and the staas packages it may import.
func archTable(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n## Rooms\n")
	if i < 0 {
		t.Fatal(`docs/architecture.md has no "## Rooms" section`)
	}
	s = s[i+1:]
	if j := strings.Index(s[3:], "\n## "); j >= 0 {
		s = s[:j+3]
	}
	code := regexp.MustCompile("`([^`]+)`")
	table := map[string][]string{}
	header := false
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 3 {
			t.Fatalf("docs/architecture.md: a Rooms row has %d cells, want 3 (package, what it is, may import): %s", len(cells), line)
		}
		first := strings.TrimSpace(cells[0])
		if first == "package" {
			header = true
			continue
		}
		if strings.HasPrefix(first, "---") {
			continue
		}
		m := code.FindStringSubmatch(first)
		if m == nil {
			t.Fatalf("docs/architecture.md: a Rooms row names no package in backquotes: %s", line)
		}
		if _, dup := table[m[1]]; dup {
			t.Errorf("docs/architecture.md lists %s twice", m[1])
		}
		allowed := []string{}
		imports := strings.TrimSpace(cells[2])
		if imports != "none" {
			for _, c := range code.FindAllStringSubmatch(imports, -1) {
				allowed = append(allowed, c[1])
			}
			if len(allowed) == 0 {
				t.Errorf("docs/architecture.md: %s's imports %q are neither \"none\" nor backquoted packages", m[1], imports)
			}
		}
		table[m[1]] = allowed
	}
	if !header || len(table) == 0 {
		t.Fatal(`docs/architecture.md's "Rooms" has no table headed "| package | … |"`)
	}
	return table
}

// The package table of docs/architecture.md is the import graph `go list`
// sees: every package is in it, no package imports a staas package its
// row does not allow, and no row names a package that is not there.
func TestArchitecture_Imports(t *testing.T) {
	table := archTable(t)
	pkgs := goList(t)
	real := map[string]bool{}
	for _, p := range pkgs {
		real[p.ImportPath] = true
		allowed, ok := table[p.ImportPath]
		if !ok {
			t.Errorf("docs/architecture.md's Rooms table lacks package %s (it imports %v): add a row saying what it is and what it may import",
				p.ImportPath, staasImports(p))
			continue
		}
		for _, imp := range staasImports(p) {
			if !slices.Contains(allowed, imp) {
				t.Errorf("%s imports %s, which docs/architecture.md does not allow it: remove the import, or change the design and its row", p.ImportPath, imp)
			}
		}
	}
	for path, allowed := range table {
		if !real[path] {
			t.Errorf("docs/architecture.md lists %s, which go list ./... does not know", path)
		}
		for _, imp := range allowed {
			if !real[imp] {
				t.Errorf("docs/architecture.md lets %s import %s, which go list ./... does not know", path, imp)
			}
		}
	}
}

// The rules the picture states, held whatever the table says.
func TestArchitecture_Rules(t *testing.T) {
	pkgs := goList(t)

	// whmcsbridge, the shim protocol, is a leaf: staas and the standard
	// library, and nothing they pull in besides.
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./whmcsbridge").Output()
	if err != nil {
		t.Fatalf("go list -deps ./whmcsbridge: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != "staas" && dep != "staas/whmcsbridge" {
			t.Errorf("whmcsbridge depends on %s: the shim protocol may import only staas and the standard library", dep)
		}
	}

	for _, p := range pkgs {
		standin := strings.HasPrefix(p.ImportPath, "staas/standin/")
		for _, imp := range staasImports(p) {
			// Stand-ins are for tests, the demo, the simulator and other
			// stand-ins; nothing that ships as a library imports them.
			if strings.HasPrefix(imp, "staas/standin/") && !standin && p.Name != "main" {
				t.Errorf("%s imports the stand-in %s: only tests, commands and other stand-ins may", p.ImportPath, imp)
			}
			// handlers is the HTTP layer the binary serves; nothing else
			// builds on it.
			if imp == "staas/handlers" && p.ImportPath != "staas/cmd/staas" {
				t.Errorf("%s imports staas/handlers: only cmd/staas may (and tests)", p.ImportPath)
			}
		}
	}
}

// Every repository path docs/architecture.md names in backquotes exists,
// so the flows it walks through name real files.
func TestArchitecture_PathsExist(t *testing.T) {
	b, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	top := regexp.MustCompile("`((?:cmd|handlers|views|whmcsbridge|static|internal|standin|php-shim|deploy|scripts|docs)/[A-Za-z0-9_./-]+)`")
	for _, m := range top.FindAllStringSubmatch(string(b), -1) {
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("docs/architecture.md names %s, which does not exist", m[1])
		}
	}
	// The shim's classes are named relative to its lib folder.
	lib := regexp.MustCompile("`(lib/[A-Za-z]+\\.php)`")
	for _, m := range lib.FindAllStringSubmatch(string(b), -1) {
		if _, err := os.Stat("php-shim/modules/servers/staas/" + m[1]); err != nil {
			t.Errorf("docs/architecture.md names %s, which is not in php-shim/modules/servers/staas/", m[1])
		}
	}
}
