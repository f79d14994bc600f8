package views

import (
	"strings"
	"testing"
)

func TestFormatBytesIsDecimal(t *testing.T) {
	cases := []struct {
		n    uint64
		want string
	}{
		{0, "0 B"}, {1, "1 B"}, {999, "999 B"}, {1000, "1.0 kB"}, {1024, "1.0 kB"}, {1500, "1.5 kB"},
		{999_949, "999.9 kB"}, {999_950, "1.0 MB"}, {1_000_000, "1.0 MB"},
		{5_000_000_000, "5.0 GB"}, {5 << 30, "5.4 GB"}, {1_500_000_000_000, "1.5 TB"},
		{1e15, "1.0 PB"}, {1e18, "1.0 EB"}, {^uint64(0), "18.4 EB"},
	}
	for _, c := range cases {
		if got := FormatBytes(c.n); got != c.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestFormatCountGroupsThousands(t *testing.T) {
	for n, want := range map[uint64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 12345: "12,345", 123456: "123,456",
		1234567: "1,234,567", 100000: "100,000", ^uint64(0): "18,446,744,073,709,551,615",
	} {
		if got := FormatCount(n); got != want {
			t.Errorf("FormatCount(%d) = %q, want %q", n, got, want)
		}
	}
	if got := formatInt(-1234); got != "-1,234" {
		t.Errorf("formatInt(-1234) = %q", got)
	}
	if got := exactBytes(1536); got != "1,536 bytes" {
		t.Errorf("exactBytes(1536) = %q", got)
	}
	if got := exactBytes(1); got != "1 byte" {
		t.Errorf("exactBytes(1) = %q", got)
	}
}

func TestFormatUnixIsADate(t *testing.T) {
	if got := FormatUnix(1485966714); got != "2017-02-01 16:31:54 UTC" {
		t.Errorf("FormatUnix = %q", got)
	}
	if got := unixDatetime(1485966714); got != "2017-02-01T16:31:54Z" {
		t.Errorf("unixDatetime = %q", got)
	}
	for _, sec := range []uint64{0, ^uint64(0)} {
		if got := FormatUnix(sec); got != "unknown" {
			t.Errorf("FormatUnix(%d) = %q, want unknown", sec, got)
		}
		if got := unixDatetime(sec); got != "" {
			t.Errorf("unixDatetime(%d) = %q, want none", sec, got)
		}
	}
}

func TestFormatSeconds(t *testing.T) {
	for sec, want := range map[uint64]string{
		0: "0 s", 45: "45 s", 60: "1 min", 1390: "23 min 10 s", 1800: "30 min", 3600: "1 h",
		5400: "1 h 30 min", 86400: "24 h", 3661: "1 h 1 min 1 s",
	} {
		if got := FormatSeconds(sec); got != want {
			t.Errorf("FormatSeconds(%d) = %q, want %q", sec, got, want)
		}
	}
}

// TestSizesSayTheirUnits: wherever sizes show, the page says they are
// decimal (the GB of quotas and billing), so "5.4 GB" is not read as GiB.
func TestSizesSayTheirUnits(t *testing.T) {
	panels := panelsDoc(t, fullPanels())
	client := parse(t, render(t, ClientArea(fullClientArea())))
	for where, text := range map[string]string{
		"S3 Buckets":           panels.Find("#staas-panel-buckets").Text(),
		"S3 Usage History":     panels.Find("#staas-panel-usage").Text(),
		"the client's Buckets": client.Find(".staas-buckets").Text(),
	} {
		if !strings.Contains(text, "1 GB = 1,000,000,000 bytes") {
			t.Errorf("%s does not say which GB its sizes are in: %q", where, text)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 0.5: "0.5", 1: "1", 40: "40", 3600: "3,600", 1234.25: "1,234.25", 1e9: "1,000,000,000", 2.005: "2",
		-1: "-1",
	} {
		if got := FormatNumber(v); got != want {
			t.Errorf("FormatNumber(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestEverySizeSaysItsUnits: the other places that show sizes say which
// GB too — the statistics object's uploaded and downloaded, the admin's
// services tab buckets and the client's own usage history showed "3.1 MB"
// or "1.6 GB" with nothing saying whether that is 10^9 or 2^30 bytes.
func TestEverySizeSaysItsUnits(t *testing.T) {
	panels := panelsDoc(t, fullPanels())
	ca := fullClientArea()
	ca.Usage = []UsageVM{*usageFixture()}
	client := parse(t, render(t, ClientArea(ca)))
	tab := parse(t, tabPage(t, fullServiceTab()))
	for where, text := range map[string]string{
		"S3 Statistics for Object": panels.Find("#staas-panel-object").Text(),
		"the services tab":         tab.Text(),
		"the client's Usage":       client.Find(".staas-client-usage").Text(),
	} {
		if text == "" {
			t.Errorf("%s is not rendered", where)
			continue
		}
		if !strings.Contains(text, "1 GB = 1,000,000,000 bytes") {
			t.Errorf("%s does not say which GB its sizes are in: %q", where, text)
		}
	}
}
