package staas_test

import (
	"math"
	"testing"

	"staas"
)

func TestGroupedAndCount(t *testing.T) {
	for n, want := range map[uint64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", math.MaxUint64: "18,446,744,073,709,551,615"} {
		if got := staas.Grouped(n); got != want {
			t.Errorf("Grouped(%d) = %q, want %q", n, got, want)
		}
	}
	if got := staas.GroupedInt(-1234); got != "-1,234" {
		t.Errorf("GroupedInt(-1234) = %q", got)
	}
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 buckets"}, {1, "1 bucket"}, {2, "2 buckets"}, {1234, "1,234 buckets"}} {
		if got := staas.Count(c.n, "bucket", "buckets"); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
