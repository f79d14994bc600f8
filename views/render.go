package views

import (
	"context"
	"fmt"
	"math"
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

// FormatBytes formats n with 1024-based units: "0 B", "1023 B", "1.0 KiB",
// "1.5 GiB", up to EiB. Sizes are shown rounded to one decimal; callers
// that need the exact count show n itself (the panels put it in a title).
func FormatBytes(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := [...]string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	f := float64(n)
	i := -1
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	// 1048575 B is 1023.999 KiB: rounded to one decimal it reads as
	// 1024.0 KiB, which is 1.0 MiB.
	if math.Round(f*10) >= 10240 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}
