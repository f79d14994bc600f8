package demo

import "testing"

// The stand-in's redirect after an action, like the PHP shim's, takes
// staas's anchor only when it is a plain element id: nothing staas sends
// can change more than the fragment.
func TestSummaryURLTakesOnlyAPlainAnchor(t *testing.T) {
	for anchor, want := range map[string]string{
		"staas-panel-users":      "clientssummary.php?userid=7#staas-panel-users",
		"staas-result":           "clientssummary.php?userid=7#staas-result",
		"":                       "clientssummary.php?userid=7#staas-result",
		"https://evil.example/":  "clientssummary.php?userid=7#staas-result",
		"x\r\nLocation: /":       "clientssummary.php?userid=7#staas-result",
		"a#b":                    "clientssummary.php?userid=7#staas-result",
		"Staas-Result":           "clientssummary.php?userid=7#staas-result",
		"x?userid=1":             "clientssummary.php?userid=7#staas-result",
		"staas_panel":            "clientssummary.php?userid=7#staas-result",
		string(make([]byte, 65)): "clientssummary.php?userid=7#staas-result",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": "clientssummary.php?userid=7#staas-result",
	} {
		if got := summaryURL(7, anchor); got != want {
			t.Errorf("summaryURL(7, %q) = %q, want %q", anchor, got, want)
		}
	}
}
