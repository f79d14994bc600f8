package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// bucketRows are the bucket names of the buckets panel's rows, in order.
func bucketRows(doc *goquery.Document) []string {
	var names []string
	doc.Find("#staas-panel-buckets tr.altrow").Each(func(_ int, r *goquery.Selection) {
		names = append(names, strings.TrimSpace(r.Find("td").First().Text()))
	})
	return names
}

// totalsRow is the buckets panel's totals row, its cells joined by " | ".
func totalsRow(doc *goquery.Document) string {
	var cells []string
	doc.Find("#staas-panel-buckets tr.staas-total th").Each(func(_ int, c *goquery.Selection) {
		if t := strings.TrimSpace(c.Text()); t != "" {
			cells = append(cells, t)
		}
	})
	return strings.Join(cells, " | ")
}

// A client with 120 buckets sees them 50 a page: page 2 is buckets 51 to
// 100 with the pager saying so, the totals row counts every bucket and
// their sizes together, a page past the last shows the last and a page
// that is not a number is refused, as the users pager does; the bucket
// limits and quota forms still offer every bucket.
func TestBucketsPanel_Paged(t *testing.T) {
	a := newApp(t)
	a.act(fullAdmin, "create-user", nil)
	for i := range 120 {
		name := fmt.Sprintf("bucket-%03d", i)
		if err := a.Sim.CreateBucket("alice@example.com", name); err != nil {
			t.Fatal(err)
		}
		if err := a.Sim.SetBucketSize(name, 1_000_000_000); err != nil {
			t.Fatal(err)
		}
	}
	a.act(fullAdmin, "toggle-buckets", nil)
	doc := a.panels(fullAdmin)
	rows := bucketRows(doc)
	if len(rows) != 50 || rows[0] != "bucket-000" || rows[49] != "bucket-049" {
		t.Fatalf("page 1 rows: %d, %q…", len(rows), rows)
	}
	pager := doc.Find("#staas-panel-buckets .staas-pager")
	if got := strings.Join(strings.Fields(pager.Find(".staas-showing").Text()), " "); got != "showing 1–50 of 120, page 1 of 3" {
		t.Errorf("page 1's pager says %q", got)
	}
	if pager.Find(`button[value="buckets-page"]`).Length() != 1 || !strings.Contains(pager.Text(), "Next page") {
		t.Errorf("page 1's pager buttons: %q", pager.Text())
	}
	if total := totalsRow(doc); total != "120 buckets | 120.0 GB" {
		t.Errorf("page 1's totals row %q, want every bucket's", total)
	}

	// Next page, as the button posts it.
	action, params := pressParams(t, doc, `#staas-panel-buckets .staas-pager button[value="buckets-page"]`)
	status, body := a.act(fullAdmin, action, params)
	if status != 200 {
		t.Fatalf("%s %v: %d %v", action, params, status, body)
	}
	// The shim takes the admin back to the panel, not the page's top.
	if body["anchor"] != "staas-panel-buckets" {
		t.Errorf("the next page's anchor is %v, want staas-panel-buckets", body["anchor"])
	}
	doc = a.panels(fullAdmin)
	rows = bucketRows(doc)
	if len(rows) != 50 || rows[0] != "bucket-050" || rows[49] != "bucket-099" {
		t.Fatalf("page 2 rows: %d, %q", len(rows), rows)
	}
	pager = doc.Find("#staas-panel-buckets .staas-pager")
	if got := strings.Join(strings.Fields(pager.Find(".staas-showing").Text()), " "); got != "showing 51–100 of 120, page 2 of 3" {
		t.Errorf("page 2's pager says %q", got)
	}
	if !strings.Contains(pager.Text(), "Previous page") || !strings.Contains(pager.Text(), "Next page") {
		t.Errorf("page 2's pager buttons: %q", pager.Text())
	}
	if total := totalsRow(doc); total != "120 buckets | 120.0 GB" {
		t.Errorf("page 2's totals row %q, want every bucket's", total)
	}

	// Past the last page: the last.
	if status, body := a.act(fullAdmin, "buckets-page", map[string]string{"page": "99"}); status != 200 {
		t.Fatalf("buckets-page 99: %d %v", status, body)
	}
	doc = a.panels(fullAdmin)
	rows = bucketRows(doc)
	if len(rows) != 20 || rows[0] != "bucket-100" || rows[19] != "bucket-119" {
		t.Errorf("page 99 shows %d rows %q, want the last page's 20", len(rows), rows)
	}
	pager = doc.Find("#staas-panel-buckets .staas-pager")
	if got := strings.Join(strings.Fields(pager.Find(".staas-showing").Text()), " "); got != "showing 101–120 of 120, page 3 of 3" || strings.Contains(pager.Text(), "Next page") {
		t.Errorf("the last page's pager: %q", pager.Text())
	}
	// Not a page: refused, the page shown stays.
	for _, bad := range []string{"0", "-1", "two"} {
		if status, _ := a.act(fullAdmin, "buckets-page", map[string]string{"page": bad}); status != http.StatusBadRequest {
			t.Errorf("buckets-page %q: %d, want 400", bad, status)
		}
	}
	if rows = bucketRows(a.panels(fullAdmin)); len(rows) == 0 || rows[0] != "bucket-100" {
		t.Errorf("after refused pages the panel shows %q", rows)
	}

	// The forms that choose a bucket offer every bucket, not a page's.
	links := a.links(fullAdmin)
	for _, sel := range []string{`#staas-links-bucket-limits select[name="bucket"] option[value="bucket-119"]`, `#staas-links-quota select[name="quota-of"] option`} {
		if links.Find(sel).Length() == 0 {
			t.Errorf("no %s in the links", sel)
		}
	}
	if n := links.Find(`#staas-links-bucket-limits select[name="bucket"] option[value^="bucket-"]`).Length(); n != 120 {
		t.Errorf("the bucket limits form offers %d buckets, want 120", n)
	}
}

// Empty and delete pressed on page 2 asks under that bucket's row on page
// 2, still when the list moved under it (the question follows its bucket
// to page 1), and the confirmed purge leaves the admin on the page.
func TestBucketsPanel_ConfirmOnPage2(t *testing.T) {
	a := newPurgingApp(t)
	a.act(fullAdmin, "create-user", nil)
	for i := range 60 {
		if err := a.Sim.CreateBucket("alice@example.com", fmt.Sprintf("bucket-%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	a.act(fullAdmin, "toggle-buckets", nil)
	a.act(fullAdmin, "buckets-page", map[string]string{"page": "2"})
	action, params := pressParams(t, a.panels(fullAdmin), `#staas-panel-buckets form:has(input[value="bucket-055"]) button[value="purge-bucket"]`)
	if status, body := a.act(fullAdmin, action, params); status != 200 {
		t.Fatalf("%s %v: %d %v", action, params, status, body)
	}
	doc := a.panels(fullAdmin)
	box := doc.Find("#staas-panel-buckets tr.staas-confirm-row #staas-confirm")
	if box.Length() != 1 {
		t.Fatalf("no confirmation in the buckets panel's rows: %q", doc.Find("#staas-panel-buckets").Text())
	}
	if above := box.Closest("tr").Prev().Find("td").First().Text(); above != "bucket-055" {
		t.Errorf("the confirmation is under %q, want bucket-055's row", above)
	}
	if rows := bucketRows(doc); len(rows) != 10 || rows[0] != "bucket-050" {
		t.Errorf("the confirmation's page shows %q, want page 2", rows)
	}
	if doc.Find("#staas-confirm").Length() != 1 {
		t.Errorf("%d confirmations on the page, want 1", doc.Find("#staas-confirm").Length())
	}

	// The client deletes a bucket of page 1 meanwhile: the one asked about
	// is now on page 1, and the question renders there, under its row.
	if status, body := a.act(fullAdmin, action, map[string]string{"bucket": "bucket-050"}); status != 200 {
		t.Fatalf("purge-bucket bucket-050: %d %v", status, body)
	}
	if err := a.Sim.DeleteBucket("bucket-000"); err != nil {
		t.Fatal(err)
	}
	doc = a.panels(fullAdmin)
	box = doc.Find("#staas-panel-buckets tr.staas-confirm-row #staas-confirm")
	if box.Length() != 1 || box.Closest("tr").Prev().Find("td").First().Text() != "bucket-050" {
		t.Fatalf("the question about bucket-050, now on page 1, is not under its row: %q", doc.Find("#staas-panel-buckets").Text())
	}
	if rows := bucketRows(doc); len(rows) != 50 || rows[49] != "bucket-050" {
		t.Errorf("the question's page shows %q, want page 1 ending with bucket-050", rows)
	}
	if status, body := a.act(fullAdmin, "buckets-page", map[string]string{"page": "2"}); status != 200 {
		t.Fatalf("buckets-page 2: %d %v", status, body)
	}

	if status, body := a.act(fullAdmin, "purge-bucket", map[string]string{"bucket": "bucket-055", "confirm": "yes", "confirm-name": "bucket-055"}); status != 200 {
		t.Fatalf("purge: %d %v", status, body)
	}
	doc = a.panels(fullAdmin)
	if rows := bucketRows(doc); len(rows) != 8 || rows[0] != "bucket-051" || strings.Contains(strings.Join(rows, " "), "bucket-055") {
		t.Errorf("after the purge the panel shows %q, want page 2 without bucket-055", rows)
	}
	if total := strings.Join(strings.Fields(doc.Find("#staas-panel-buckets tr.staas-total th").First().Text()), " "); total != "58 buckets" {
		t.Errorf("after the purge the totals say %q", total)
	}
}
