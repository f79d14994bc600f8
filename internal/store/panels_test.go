package store

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"staas"
)

func testPanels(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)

	empty, err := s.Panels(ctx, 7, 1)
	mustNil(t, err)
	if empty == nil || len(empty) != 0 {
		t.Fatalf("Panels with none open = %#v, want an empty map", empty)
	}

	mustNil(t, s.SetPanel(ctx, 7, 1, "usage", "period=30d"))
	mustNil(t, s.SetPanel(ctx, 7, 1, "buckets", ""))
	mustNil(t, s.SetPanel(ctx, 7, 1, "keys:v2", "page=1&sort=name"))
	mustNil(t, s.SetPanel(ctx, 7, 1, "usage", "period=7d")) // replaces
	mustNil(t, s.SetPanel(ctx, 8, 1, "usage", "other=admin"))
	mustNil(t, s.SetPanel(ctx, 7, 2, "limits", "other=client"))

	got, err := s.Panels(ctx, 7, 1)
	mustNil(t, err)
	want := map[string]string{"usage": "period=7d", "buckets": "", "keys:v2": "page=1&sort=name"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Panels(7, 1) = %v, want %v", got, want)
	}

	mustNil(t, s.HidePanel(ctx, 7, 1, "buckets"))
	mustNil(t, s.HidePanel(ctx, 7, 1, "buckets")) // already hidden
	mustNil(t, s.HidePanel(ctx, 7, 1, "never-open"))
	got, err = s.Panels(ctx, 7, 1)
	mustNil(t, err)
	delete(want, "buckets")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after hiding buckets, Panels(7, 1) = %v, want %v", got, want)
	}
	// Other admins and clients are untouched.
	if p, _ := s.Panels(ctx, 8, 1); !reflect.DeepEqual(p, map[string]string{"usage": "other=admin"}) {
		t.Errorf("Panels(8, 1) = %v", p)
	}
	if p, _ := s.Panels(ctx, 7, 2); !reflect.DeepEqual(p, map[string]string{"limits": "other=client"}) {
		t.Errorf("Panels(7, 2) = %v", p)
	}

	// Admin 0 and client 0 are valid ids (ids >= 0).
	mustNil(t, s.SetPanel(ctx, 0, 0, "a", "x"))

	// The largest params, and many tabs toggling the same panel at once.
	max := strings.Repeat("k=v&", maxPanelParams/4)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := s.SetPanel(ctx, 9, 9, "usage", max); err != nil {
				t.Errorf("concurrent SetPanel: %v", err)
			}
		})
	}
	wg.Wait()
	if p, _ := s.Panels(ctx, 9, 9); p["usage"] != max || len(p) != 1 {
		t.Errorf("after 8 concurrent SetPanel of %d bytes, panels are %d with %d bytes", len(max), len(p), len(p["usage"]))
	}
}

func testPanelsInvalid(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	cases := []struct {
		name           string
		admin, client  int64
		panel, params  string
		validForHiding bool // HidePanel ignores params
	}{
		{"no name", 1, 1, "", "", false},
		{"name too long", 1, 1, strings.Repeat("a", 65), "", false},
		{"upper case", 1, 1, "Usage", "", false},
		{"space", 1, 1, "us age", "", false},
		{"quote", 1, 1, "usage'", "", false},
		{"slash", 1, 1, "../usage", "", false},
		{"non-ASCII", 1, 1, "usagé", "", false},
		{"negative admin", -1, 1, "usage", "", false},
		{"negative client", 1, -1, "usage", "", false},
		{"params too long", 1, 1, "usage", strings.Repeat("x", maxPanelParams+1), true},
		{"params not UTF-8", 1, 1, "usage", "a=\xff", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, s.SetPanel(ctx, c.admin, c.client, c.panel, c.params), staas.EINVALID)
			if !c.validForHiding {
				wantCode(t, s.HidePanel(ctx, c.admin, c.client, c.panel), staas.EINVALID)
			}
		})
	}
	_, err := s.Panels(ctx, -1, 1)
	wantCode(t, err, staas.EINVALID)
	_, err = s.Panels(ctx, 1, -1)
	wantCode(t, err, staas.EINVALID)
	wantNothingWritten(t, s)

	// The edges that are allowed.
	mustNil(t, s.SetPanel(ctx, 1, 1, strings.Repeat("z", 64), strings.Repeat("x", maxPanelParams)))
	mustNil(t, s.SetPanel(ctx, 1, 1, "a-b_c:0-9", ""))
}
