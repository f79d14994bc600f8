package views

import (
	"context"
	"strings"

	"github.com/a-h/templ"
)

// RenderString renders c into a string. The shim protocol carries HTML as
// JSON strings, so rendering completes before anything is sent: a
// template error becomes an error answer, never half a page.
func RenderString(ctx context.Context, c templ.Component) (string, error) {
	var b strings.Builder
	if err := c.Render(ctx, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

// RenderLinks renders the "Other Actions" groups, one string per group, in
// the order WHMCS shows them (the hook returns them as its array).
func RenderLinks(ctx context.Context, vm LinksVM) ([]string, error) {
	groups := ActionLinks(vm)
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		s, err := RenderString(ctx, g)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
