package views

import (
	"strconv"
	"strings"
	"time"

	"staas"
)

// billingUnitLabel is how the unit select names a unit: ECS's KB is KiB.
func billingUnitLabel(u string) string {
	if u == "KB" {
		return "KB (KiB)"
	}
	return u
}

// billingSize is a size ECS gave, with its unit, to four decimals at most
// (ECS's doubles run to sixteen digits; 0.0001 GB is about 100 KiB).
func billingSize(v float64, unit string) string {
	s := strconv.FormatFloat(v, 'f', 4, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s + " " + unit
}

// billingSizeExact is the size exactly as ECS gave it.
func billingSizeExact(v float64, unit string) string {
	return strconv.FormatFloat(v, 'f', -1, 64) + " " + unit
}

// billingTags lists a bucket's tags as key=value, in ECS's order; none
// reads "none".
func billingTags(tags []staas.BucketTag) string {
	if len(tags) == 0 {
		return "none"
	}
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = t.Key + "=" + t.Value
	}
	return strings.Join(parts, ", ")
}

// billingTime is a sample time in UTC; the zero time reads "unknown".
func billingTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// billingCount is a count ECS gave, grouped.
func billingCount(n int64) string { return FormatCount(uint64(max(n, 0))) }
