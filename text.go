package staas

import (
	"strconv"
	"strings"
)

// How numbers read to a person, in every message and page staas shows:
// digits grouped by thousands with commas, counts with their noun.

// Grouped writes n with its thousands grouped: 1234567 reads "1,234,567".
func Grouped(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// GroupedInt is Grouped of an int; a negative number keeps its sign.
func GroupedInt(n int) string {
	if n < 0 {
		return "-" + Grouped(uint64(-n))
	}
	return Grouped(uint64(n))
}

// Count says n things in words: "1 bucket", "2 buckets", "1,024
// buckets" (never "bucket(s)").
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return GroupedInt(n) + " " + many
}
