package views

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"staas"
)

// payloads try every context a value lands in: element content, double-
// and single-quoted attributes, and URLs.
var payloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`' onmouseover='alert(1)`,
	`javascript:alert(1)`,
	`</style><script>alert(1)</script>`,
	`<!-- -->&amp;&lt;`,
}

// allowedTags and allowedAttrs are everything staas's markup uses; an
// injected element or attribute would fall outside them.
var (
	allowedTags = map[string]bool{
		"html": true, "head": true, "body": true, "ul": true, "li": true, "div": true, "strong": true,
		"style": true, "form": true, "input": true, "button": true, "p": true, "span": true,
		"select": true, "option": true, "optgroup": true, "datalist": true, "table": true, "thead": true, "tbody": true, "tfoot": true, "tr": true,
		"th": true, "td": true, "code": true, "em": true, "time": true, "a": true, "label": true,
		// the usage chart, inline SVG
		"svg": true, "title": true, "g": true, "text": true, "rect": true, "line": true,
	}
	allowedAttrs = map[string]bool{
		"class": true, "id": true, "method": true, "action": true, "type": true, "name": true,
		"value": true, "title": true, "disabled": true, "role": true, "size": true, "inputmode": true,
		"placeholder": true, "autocomplete": true, "list": true, "selected": true, "colspan": true,
		"cellspacing": true, "cellpadding": true, "datetime": true, "href": true, "scope": true,
		"aria-pressed": true, "aria-label": true, "aria-invalid": true, "aria-describedby": true,
		"aria-labelledby": true, "rowspan": true, "label": true, "for": true,
		// the usage chart's SVG attributes
		"viewBox": true, "focusable": true, "x": true, "y": true, "width": true, "height": true,
		"x1": true, "y1": true, "x2": true, "y2": true, "fill": true, "stroke": true, "stroke-width": true,
		"font-size": true, "text-anchor": true,
	}
)

// checkNoInjection walks the parsed page: every element and attribute must
// be one staas writes, and no URL may run script.
func checkNoInjection(t *testing.T, doc *goquery.Document) {
	t.Helper()
	for _, root := range doc.Nodes {
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				if !allowedTags[n.Data] {
					t.Errorf("injected element <%s>", n.Data)
				}
				for _, a := range n.Attr {
					if !allowedAttrs[a.Key] {
						t.Errorf("injected attribute %s=%q on <%s>", a.Key, a.Val, n.Data)
					}
					if (a.Key == "href" || a.Key == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
						t.Errorf("<%s %s=%q> runs script", n.Data, a.Key, a.Val)
					}
				}
				if n.Data == "style" && n.FirstChild != nil && strings.Contains(n.FirstChild.Data, "alert") {
					t.Errorf("a value got into a style element")
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(root)
	}
}

func hostileLinks(p string) LinksVM {
	errs := FieldErrors{fieldOpsValue: p, fieldBucket: p, FieldQuotaGB: p, FieldQuotaOf: p, fieldObject: p, p: p}
	return LinksVM{
		Form:      Form{ActionURL: p, Token: p, ClientID: 42},
		CanChange: true,
		HasUser:   true,
		UserState: p,
		On:        map[string]bool{p: true},
		Buckets:   []string{p},
		UserLimits: LimitsForm{
			OpsName: p, OpsValue: p, BandwidthName: p, BandwidthValue: p, Errors: errs,
		},
		BucketLimits: LimitsForm{OpsValue: p, Bucket: p, Errors: errs},
		Quota:        QuotaForm{Of: p, SizeGB: p, Errors: errs},
		Object:       ObjectForm{Object: p, Errors: errs},
	}
}

func hostilePanels(p string) PanelsVM {
	return PanelsVM{
		Form:      Form{ActionURL: p, Token: p, ClientID: 42},
		CanChange: true,
		Flashes:   []staas.Flash{{Kind: p, Message: p}, {Kind: staas.FlashError, Message: p}},
		Confirm:   &ConfirmVM{Action: p, Question: p, Params: map[string]string{p: p, "bucket": p}},
		Users:     &UsersVM{Query: p, Page: 1, PageSize: 1, Total: 3, Rows: []UserRow{{UserID: p, Email: p, State: p}}},
		User: &UserVM{UserID: p, Email: p, State: p, Flags: []string{p},
			Keys: []KeyRow{{AccessKeyID: p, Secret: p}, {AccessKeyID: p, Secret: p, Revealed: true}}},
		Buckets:      &BucketsVM{Rows: []BucketRow{{Name: p, Bytes: 1}}},
		Stats:        &StatsVM{After: p, Next: p, Items: []string{p}},
		UserLimits:   &LimitsVM{Rows: []LimitRow{{Type: p, Name: p, Value: p}}},
		BucketLimits: &LimitsVM{Bucket: p, Rows: []LimitRow{{Type: p, Name: p, Value: p}}},
		Object: &ObjectVM{Name: p, ServiceID: p, TotalRows: 5,
			Rows: []ObjectRow{{Bucket: p, UserID: p, Tag: p}}},
		Quotas: &QuotasVM{Buckets: []QuotaRow{{Bucket: p, SizeGB: 1, Set: true}}},
		Usage: &UsageVM{UserID: p, Days: 30, Schedule: p,
			Rows:    []UsageDay{{Date: time.Date(2024, 3, 3, 0, 0, 0, 0, time.UTC), Traffic: Traffic{Put: 1, Uploaded: 5}}},
			Buckets: []UsageBucket{{Bucket: p, Traffic: Traffic{Put: 1, Uploaded: 5}}}},
		Audit: &AuditVM{Before: 7, Older: 3, Rows: []AuditRow{{ID: 6, AdminID: 1, Action: p,
			Params: map[string]string{"bucket": p, p: "x"}, Result: p, Message: p}}},
	}
}

func TestHostileValuesAreEscaped(t *testing.T) {
	for _, p := range payloads {
		t.Run(p, func(t *testing.T) {
			links := linksDoc(t, hostileLinks(p))
			panels := panelsDoc(t, hostilePanels(p))
			for name, doc := range map[string]*goquery.Document{"links": links, "panels": panels} {
				checkNoInjection(t, doc)

				// Attribute contexts: the values come back exactly as given,
				// so the quoting held.
				wantAction := p
				if strings.HasPrefix(p, "javascript:") {
					wantAction = "about:invalid#TemplFailedSanitizationURL"
				}
				doc.Find("form").Each(func(_ int, f *goquery.Selection) {
					if a := f.AttrOr("action", ""); a != wantAction {
						t.Errorf("%s: form action %q, want %q", name, a, wantAction)
					}
					if v := f.Find(`input[name="token"]`).AttrOr("value", ""); v != p {
						t.Errorf("%s: token %q, want %q", name, v, p)
					}
				})
			}

			// Text contexts: the payload is shown as text, whole.
			for _, sel := range []string{"#staas-links-bucket-limits .help-block", "#staas-links-stats .help-block"} {
				if !strings.Contains(links.Find(sel).Text(), p) {
					t.Errorf("%s does not show the message as text", sel)
				}
			}
			for _, in := range []string{
				`#staas-links-user-limits input[name="ops-value"]`, `#staas-links-bucket-limits select[name="bucket"] option[selected]`,
				`#staas-links-quota input[name="quota-gb"]`, `#staas-links-stats input[name="object"]`,
			} {
				if v := links.Find(in).AttrOr("value", ""); v != p {
					t.Errorf("%s value %q, want %q", in, v, p)
				}
			}
			if v := links.Find(`#staas-links-quota select[name="quota-of"] optgroup option`).AttrOr("value", ""); v != QuotaOfBucket+p {
				t.Errorf("quota-of bucket option value %q, want %q", v, QuotaOfBucket+p)
			}
			for _, sel := range []string{
				".alert-info", ".alert-danger", ".staas-confirm p", "#staas-panel-users td",
				"#staas-panel-user .title", "#staas-panel-user .staas-secret-masked", "#staas-panel-buckets td",
				"#staas-panel-stats td code", "#staas-panel-bucket-limits .title", "#staas-panel-object .title",
				"#staas-panel-object td", "#staas-panel-quotas td",
				"#staas-panel-usage .title", ".staas-usage-buckets td", "#staas-panel-usage .help-block",
				"#staas-panel-audit td", "#staas-panel-audit .staas-result", "#staas-panel-audit td code",
			} {
				if !strings.Contains(panels.Find(sel).Text(), p) {
					t.Errorf("%s does not show %q as text", sel, p)
				}
			}
			for _, sel := range []string{
				`#staas-panel-users input[name="q"]`, `#staas-panel-user input[name="access_key"]`,
				`#staas-panel-stats input[name="object"]`, `#staas-panel-stats input[name="after"]`,
			} {
				panels.Find(sel).Each(func(_ int, in *goquery.Selection) {
					if v := in.AttrOr("value", ""); v != p && !(sel == `#staas-panel-stats input[name="after"]` && v == "") {
						t.Errorf("%s value %q, want %q", sel, v, p)
					}
				})
			}
			yes := panels.Find(".staas-confirm form").First()
			if v := yes.Find("button").AttrOr("value", ""); v != p {
				t.Errorf("confirm action %q", v)
			}
			if v := yes.Find(`input[name="bucket"]`).AttrOr("value", ""); v != p {
				t.Errorf("confirm param %q", v)
			}
		})
	}
}
