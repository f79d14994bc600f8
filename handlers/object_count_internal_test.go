package handlers

import "testing"

// TestObjectCountGrouped: "Bucket photos emptied (1234567 objects
// deleted)" is read as the panels read counts, grouped.
func TestObjectCountGrouped(t *testing.T) {
	for n, want := range map[int64]string{0: "0 objects", 1: "1 object", 999: "999 objects", 1234567: "1,234,567 objects"} {
		if got := objectCount(n); got != want {
			t.Errorf("objectCount(%d) = %q, want %q", n, got, want)
		}
	}
}
