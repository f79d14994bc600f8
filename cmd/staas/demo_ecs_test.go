package main

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"staas/internal/ecs"
	"staas/standin/demo"
)

// The demo's Erin has her S3 user on the ECS cluster with three buckets and
// a day of traffic: an admin who shows her "Bucket billing info" sees a
// row per bucket with every field of ECS's Get Bucket Billing Info, and the
// sizes agree with the S3 Buckets panel once the units are converted
// (ECS's GB is GiB; the buckets panel's is 10^9 bytes).
func TestDemo_ECSClientBillingInfo(t *testing.T) {
	ctx := context.Background()
	d, err := demo.Start(ctx, demoOptions("127.0.0.1:0", t.TempDir(), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	base := strings.TrimSuffix(d.URL, "/")
	summaryURL := base + "/admin/clientssummary.php?userid=6"
	page := func() *goquery.Document {
		t.Helper()
		resp, err := c.Get(summaryURL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	act := func(doc *goquery.Document, action string, extra url.Values) {
		t.Helper()
		token, _ := doc.Find(`input[name="token"]`).First().Attr("value")
		form := url.Values{"token": {token}, "userid": {"6"}, "action": {action}}
		for k, v := range extra {
			form[k] = v
		}
		resp, err := c.PostForm(base+"/admin/staas-action.php", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", action, resp.StatusCode)
		}
	}

	doc := page()
	if !strings.Contains(doc.Find("body").Text(), "Erin") {
		t.Fatal("the demo has no client 6 (Erin)")
	}
	act(doc, "toggle-billing", nil)
	act(page(), "toggle-buckets", nil)
	doc = page()

	var heads []string
	doc.Find("table.staas-billing tr").First().Find("th").Each(func(_ int, s *goquery.Selection) { heads = append(heads, s.Text()) })
	want := []string{"Bucket", "Namespace", "Replication group", "Total size", "Objects", "Sample time", "Up to date till",
		"MPU size", "MPU parts", "Tags", "Size deleted", "Objects deleted"}
	if strings.Join(heads, "|") != strings.Join(want, "|") {
		t.Fatalf("billing columns %q, want %q", heads, want)
	}
	rows := billingRows(doc)
	if len(rows) != 3 {
		t.Fatalf("billing rows %v, want Erin's three buckets", rows)
	}
	ns := ecs.NamespaceFor("erin@example.com")
	for name, r := range rows {
		if r[1] != ns || !strings.HasPrefix(r[2], "urn:storageos:ReplicationGroupInfo:") || !strings.HasSuffix(r[3], " GB") || r[5] == "unknown" {
			t.Errorf("row %s = %q", name, r)
		}
	}
	if f := rows["evans-footage"]; f[8] != "12" || f[9] != "project=documentary" {
		t.Errorf("evans-footage MPU parts %q, tags %q; want 12 and project=documentary", f[8], f[9])
	}
	if w := rows["evans-web"]; w[9] != "none" {
		t.Errorf("evans-web tags %q, want none", w[9])
	}

	// The same bucket in bytes, then against the buckets panel's decimal GB.
	act(doc, "billing-unit", url.Values{"unit": {"BYTE"}})
	doc = page()
	rows = billingRows(doc)
	footageBytes, err := strconv.ParseFloat(strings.TrimSuffix(rows["evans-footage"][3], " BYTE"), 64)
	if err != nil || footageBytes < 1e9 {
		t.Fatalf("evans-footage in BYTE = %q (%v)", rows["evans-footage"][3], err)
	}
	var shown string
	doc.Find("tr").Each(func(_ int, s *goquery.Selection) {
		if tds := s.Find("td"); tds.Length() >= 2 && strings.TrimSpace(tds.Eq(0).Text()) == "evans-footage" && !s.Parents().Is("table.staas-billing") {
			shown = strings.TrimSpace(tds.Eq(1).Text())
		}
	})
	m := regexp.MustCompile(`^([0-9.]+) GB$`).FindStringSubmatch(shown)
	if m == nil {
		t.Fatalf("S3 Buckets shows evans-footage as %q", shown)
	}
	gb, _ := strconv.ParseFloat(m[1], 64)
	if math.Abs(gb-footageBytes/1e9) > 0.051 {
		t.Errorf("S3 Buckets says %s GB, billing info %v bytes (%.2f GB)", m[1], footageBytes, footageBytes/1e9)
	}
}

// billingRows is the billing panel's cells by bucket name.
func billingRows(doc *goquery.Document) map[string][]string {
	rows := map[string][]string{}
	doc.Find("table.staas-billing tr").Each(func(_ int, s *goquery.Selection) {
		var cells []string
		s.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
		if len(cells) == 12 {
			rows[cells[0]] = cells
		}
	})
	return rows
}
