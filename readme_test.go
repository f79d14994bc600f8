package staas_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeSection returns the text of the README section under heading (a
// "## " line) up to the next one.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n## "+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no section %q", heading)
	}
	s = s[i+1:]
	if j := strings.Index(s[3:], "\n## "); j >= 0 {
		s = s[:j+3]
	}
	return s
}

// "Where things are" names every top-level folder, every package under
// internal/ and every page under docs/, so a newcomer finds each one.
func TestREADME_WhereThingsAre(t *testing.T) {
	where := readmeSection(t, "Where things are")
	named := func(path string) bool {
		return strings.Contains(where, "`"+path+"`") || strings.Contains(where, "`"+path+"/")
	}
	top, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range top {
		if e.IsDir() && !ignored(e.Name()) && !named(e.Name()) {
			t.Errorf("README's \"Where things are\" does not name the folder %s/", e.Name())
		}
	}
	for _, dir := range []string{"internal", "docs"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if p := filepath.Join(dir, e.Name()); !named(p) {
				t.Errorf("README's \"Where things are\" does not name %s", p)
			}
		}
	}
	// And it names nothing that is not there.
	for _, m := range regexp.MustCompile("`((?:internal|docs)/[a-z0-9._-]+)").FindAllStringSubmatch(where, -1) {
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("README's \"Where things are\" names %s, which does not exist", m[1])
		}
	}
}

// ignored reports whether a top-level folder is not the project's: what
// .gitignore leaves out (build output, a developer's scratch folder) and
// hidden folders of tools (.git, an editor's), but not .ci.
func ignored(name string) bool {
	switch name {
	case "bin", "tmp":
		return true
	}
	return strings.HasPrefix(name, ".") && name != ".ci"
}

// The README describes what is done as done.
func TestREADME_NoMilestonesLeft(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, stale := range []string{"milestone", "../shared/DESIGN.md"} {
		if strings.Contains(string(b), stale) {
			t.Errorf("README.md still says %q", stale)
		}
	}
}
