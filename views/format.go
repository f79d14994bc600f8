package views

import (
	"math"
	"strconv"
	"strings"
	"time"

	"staas"
)

// Sizes are shown in decimal units (1 kB = 1,000 bytes, 1 GB =
// 1,000,000,000 bytes): the cluster's quotas are set in GB and staas bills
// storage and traffic in decimal GB, so a bucket of "5.0 GB" is five of
// the GB its quota and invoice count. SizeUnits says so on the page.
const SizeUnits = "Sizes are decimal: 1 GB = 1,000,000,000 bytes, the GB of quotas and billing."

// sizeUnits are the decimal units after bytes.
var sizeUnits = [...]string{"kB", "MB", "GB", "TB", "PB", "EB"}

// FormatBytes formats n in decimal units, one decimal: "0 B", "999 B",
// "1.0 kB", "1.5 GB", up to EB. Callers that need the exact count show
// exactBytes(n) beside it (the panels put it in a title).
func FormatBytes(n uint64) string {
	if n < 1000 {
		return strconv.FormatUint(n, 10) + " B"
	}
	f := float64(n)
	i := -1
	for f >= 1000 && i < len(sizeUnits)-1 {
		f /= 1000
		i++
	}
	// 999,950 B is 999.95 kB: rounded to one decimal it would read
	// 1000.0 kB, which is 1.0 MB.
	if math.Round(f*10) >= 10000 && i < len(sizeUnits)-1 {
		f /= 1000
		i++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + sizeUnits[i]
}

// exactBytes is a size in bytes, grouped, for a title next to
// FormatBytes: "1,536 bytes".
func exactBytes(n uint64) string {
	if n == 1 {
		return "1 byte"
	}
	return FormatCount(n) + " bytes"
}

// FormatCount groups a count's digits by thousands: 1234567 reads
// "1,234,567". It is staas.Grouped, the rule every message follows too.
func FormatCount(n uint64) string { return staas.Grouped(n) }

// formatInt is FormatCount of an int (negative numbers keep their sign).
func formatInt(n int) string { return staas.GroupedInt(n) }

// FormatUnix is a Unix time in seconds as a UTC date and time to the
// second; 0 (not set) reads "unknown".
func FormatUnix(sec uint64) string {
	if sec == 0 || sec > math.MaxInt64 {
		return "unknown"
	}
	return time.Unix(int64(sec), 0).UTC().Format("2006-01-02 15:04:05 UTC")
}

// unixDatetime is the datetime attribute of a FormatUnix time.
func unixDatetime(sec uint64) string {
	if sec == 0 || sec > math.MaxInt64 {
		return ""
	}
	return time.Unix(int64(sec), 0).UTC().Format(time.RFC3339)
}

// FormatSeconds is a period in seconds as a person says it, exactly:
// "30 min", "1 h", "1 h 30 min", "23 min 10 s", "45 s".
func FormatSeconds(sec uint64) string {
	if sec == 0 {
		return "0 s"
	}
	var parts []string
	if h := sec / 3600; h > 0 {
		parts = append(parts, FormatCount(h)+" h")
	}
	if m := sec % 3600 / 60; m > 0 {
		parts = append(parts, strconv.FormatUint(m, 10)+" min")
	}
	if s := sec % 60; s > 0 {
		parts = append(parts, strconv.FormatUint(s, 10)+" s")
	}
	return strings.Join(parts, " ")
}

// FormatNumber is a non-negative number with its whole part grouped and
// at most two decimals, trailing zeros dropped: 3600 reads "3,600", 0.5
// "0.5", 1234.25 "1,234.25". Negative, infinite and NaN values (which no
// limit holds) read as strconv writes them.
func FormatNumber(v float64) string {
	if v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || v >= 1e19 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	s := strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0"), ".")
	return groupWhole(s)
}

// groupWhole groups the whole part of a number strconv wrote ("1234.5"
// reads "1,234.5"); one that is negative or beyond uint64 stays as it is.
func groupWhole(s string) string {
	whole, frac, dot := strings.Cut(s, ".")
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil {
		return s
	}
	if !dot {
		return FormatCount(w)
	}
	return FormatCount(w) + "." + frac
}
