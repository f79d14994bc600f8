package views

import (
	"strconv"
	"time"
)

// billingUnitLabel is how the unit select names a unit: ECS's KB is KiB.
func billingUnitLabel(u string) string {
	if u == "KB" {
		return "KB (KiB)"
	}
	return u
}

// billingSize is a size as ECS gave it, with its unit.
func billingSize(v float64, unit string) string {
	return strconv.FormatFloat(v, 'f', -1, 64) + " " + unit
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
