package results_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// fullPage is the HTML report of a campaign with every part the page can show: outcomes of
// each kind (voicemails and calls rejected at once among Bolna's completed), a goal, a
// breakdown with a verdict, two agents compared, and the best-time strips.
func fullPage(t *testing.T) (*results.Report, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.results.csv")
	w, err := results.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteHeader([]string{"phone", "clinic"})
	at := time.Date(2026, 12, 1, 3, 30, 0, 0, time.UTC)
	for i := range 120 {
		o := journal.Outcome{Status: "no-answer", ExecutionID: fmt.Sprintf("e-%d", i), Attempts: 1, DialedAt: at.Add(time.Duration(i) * 37 * time.Minute),
			Extracted: json.RawMessage(`{"confirmed":"no"}`)}
		clinic := []string{"North", "South"}[i%2]
		o.AgentID = []string{"agent-north", "agent-south"}[i%2] // two arms: the experiment's section is on the page
		switch {
		case i%2 == 0 && i%5 < 4, i%2 == 1 && i%5 < 2: // North answers more
			o.Status, o.Duration, o.Extracted = "completed", 30, json.RawMessage(`{"confirmed":"yes"}`)
		case i%7 == 0:
			o.Status, o.Voicemail, o.Duration = "completed", true, 20
		case i%11 == 0:
			o.Status = "completed" // no conversation: rejected at once
		}
		w.WriteRow([]string{fmt.Sprintf("+91981%07d", i), clinic}, o)
	}
	w.WriteRow([]string{"12345", "North"}, journal.Outcome{Status: "invalid", Error: "no country code"})
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	goal, _ := results.ParseGoal("confirmed=yes")
	r, err := results.ReadReportWith("clinic", goal, path)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page, time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if r.Voicemail == 0 || r.Rejected == 0 || len(r.Verdicts) == 0 || !strings.Contains(page.String(), `class="heat hours"`) || !strings.Contains(page.String(), `id="experiment-verdict"`) {
		t.Fatalf("the fixture lacks a part of the page: %d voicemails, %d rejected, verdicts %v", r.Voicemail, r.Rejected, r.Verdicts)
	}
	return r, page.String()
}

// TestReportSmallestText: no text of the page is under 12 px on a phone 400 px wide nor on a
// screen 1440 px wide. The page's own style sheet is read as a browser would apply it at each
// width (its rules, and those of the media queries that match; print is not a screen), every
// font size taken in px (rem: 16 px); text inside an SVG, which scales with the drawing, and
// elements a browser shrinks (small, sub, sup) are not allowed at all. The best-time strip's
// hour labels were 9 px at 400 and 11 px at 1440.
func TestReportSmallestText(t *testing.T) {
	t.Parallel()
	_, page := fullPage(t)
	_, css, ok := strings.Cut(page, "<style>")
	css, _, closed := strings.Cut(css, "</style>")
	if !ok || !closed {
		t.Fatal("the page has no style sheet")
	}
	rules := parseCSS(t, css, "")
	for _, width := range []float64{400, 1440} {
		n := 0
		for _, r := range rules {
			if !mediaMatches(t, r.media, width) {
				continue
			}
			if px := r.fontSize(t); px > 0 {
				n++
				if px < 12 {
					t.Errorf("at %.0f px wide, %s has text of %.1f px (%s), under 12", width, r.selector, px, strings.TrimSpace(r.body))
				}
			}
		}
		if n < 3 {
			t.Errorf("at %.0f px wide only %d font sizes were read: is the style sheet parsed?", width, n)
		}
	}
	for _, tag := range []string{"<text", "font-size=", "<small", "<sub>", "<sup>"} {
		if strings.Contains(page, tag) {
			t.Errorf("the page has %q: text whose size the style sheet does not set", tag)
		}
	}
	for _, m := range regexp.MustCompile(`style="[^"]*font(-size)?:[^"]*"`).FindAllString(page, -1) {
		t.Errorf("an inline font size the check cannot read: %s", m)
	}
}

// cssRule is one rule of a style sheet and the media query it is under ("" for none).
type cssRule struct{ media, selector, body string }

// parseCSS reads the rules of css, those inside @media blocks with their query.
func parseCSS(t *testing.T, css, media string) []cssRule {
	t.Helper()
	var out []cssRule
	for {
		open := strings.IndexByte(css, '{')
		if open < 0 {
			return out
		}
		prelude := strings.TrimSpace(css[:open])
		depth, end := 0, -1
		for i := open; i < len(css) && end < 0; i++ {
			switch css[i] {
			case '{':
				depth++
			case '}':
				if depth--; depth == 0 {
					end = i
				}
			}
		}
		if end < 0 {
			t.Fatalf("unbalanced braces in the style sheet after %q", prelude)
		}
		if q, ok := strings.CutPrefix(prelude, "@media"); ok {
			out = append(out, parseCSS(t, css[open+1:end], strings.TrimSpace(q))...)
		} else {
			out = append(out, cssRule{media: media, selector: prelude, body: css[open+1 : end]})
		}
		css = css[end+1:]
	}
}

// mediaMatches reports whether a screen width px wide matches query ("" matches).
func mediaMatches(t *testing.T, query string, width float64) bool {
	t.Helper()
	switch {
	case query == "":
		return true
	case query == "print":
		return false
	}
	m := regexp.MustCompile(`^(?:screen and )?\((max|min)-width:\s*([\d.]+)(px|rem|em)\)$`).FindStringSubmatch(query)
	if m == nil {
		t.Fatalf("a media query the check cannot evaluate: @media %s", query)
	}
	limit := cssPixels(t, m[2]+m[3])
	if m[1] == "max" {
		return width <= limit
	}
	return width >= limit
}

// fontSize is the font size the rule sets, in px (0 for none).
func (r cssRule) fontSize(t *testing.T) float64 {
	for decl := range strings.SplitSeq(r.body, ";") {
		name, value, ok := strings.Cut(decl, ":")
		switch name = strings.TrimSpace(name); {
		case !ok:
		case name == "font-size":
			return cssPixels(t, strings.TrimSpace(value))
		case name == "font": // the shorthand: its size, before an optional /line-height
			for f := range strings.FieldsSeq(value) {
				if size, _, _ := strings.Cut(f, "/"); regexp.MustCompile(`^[\d.]+(px|rem)$`).MatchString(size) {
					return cssPixels(t, size)
				}
			}
			t.Fatalf("%s: a font shorthand without a size in px or rem: %q", r.selector, value)
		}
	}
	return 0
}

// cssPixels reads a length in px, rem or em (16 px: the browser's default, which the page
// does not change on its root).
func cssPixels(t *testing.T, v string) float64 {
	t.Helper()
	m := regexp.MustCompile(`^([\d.]+)(px|rem|em)$`).FindStringSubmatch(v)
	if m == nil {
		t.Fatalf("a length the check cannot read: %q (write px or rem)", v)
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	if m[2] == "px" {
		return n
	}
	return 16 * n
}

// TestReportOutcomeColours: the outcomes chart colours what happened to the person, so green
// is what the answer rate counts: answered (a conversation) green, with the number the answer
// tile gives; a voicemail and a call rejected at once (both Bolna's completed) apart from it
// and not green; no bar for Bolna's completed as such.
func TestReportOutcomeColours(t *testing.T) {
	t.Parallel()
	r, page := fullPage(t)
	_, chart, ok := strings.Cut(page, "<h2>Outcomes")
	chart, _, _ = strings.Cut(chart, "<h2>")
	if !ok {
		t.Fatal("the page has no outcomes chart")
	}
	bars := map[string]string{}
	values := map[string]string{}
	for _, m := range regexp.MustCompile(`<span class="label">([^<]*)</span><svg.*?fill="(#[0-9a-f]{6})".*?<span class="value">(\d+)`).FindAllStringSubmatch(chart, -1) {
		bars[m[1]], values[m[1]] = m[2], m[3]
	}
	if _, ok := bars["completed"]; ok {
		t.Errorf("the outcomes chart has a bar for Bolna's completed (%v): a voicemail or a rejection in green beside an answer rate that leaves them out", bars)
	}
	if !green(bars["answered"]) || values["answered"] != strconv.Itoa(r.Answered) {
		t.Errorf("answered: colour %q, %s rows; want green and the %d the answer rate counts", bars["answered"], values["answered"], r.Answered)
	}
	for _, other := range []string{"voicemail", "rejected", "no-answer", "invalid"} {
		if c, ok := bars[other]; !ok || green(c) {
			t.Errorf("%s: colour %q (present %v), want a bar of its own that is not green", other, c, ok)
		}
	}
}

// green reports whether #rrggbb reads as green: its green well above its red and its blue.
func green(hex string) bool {
	var r, g, b int
	if _, err := fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return false
	}
	return g > r+40 && g > b+40
}

// TestReportExplainsRangeAndP: a page (and the text) showing 95% ranges and p-values explains
// each, in one plain sentence.
func TestReportExplainsRangeAndP(t *testing.T) {
	t.Parallel()
	r, page := fullPage(t)
	var text bytes.Buffer
	r.WriteText(&text)
	for _, c := range []struct{ id, shown, sentence string }{
		{"about-range", "95%", results.About95},
		{"about-p", "p = ", results.AboutP},
	} {
		if !strings.Contains(page, c.shown) {
			t.Fatalf("the page shows no %q: the fixture proves nothing", c.shown)
		}
		if strings.Count(strings.TrimSuffix(c.sentence, "."), ". ") > 0 || !strings.HasSuffix(c.sentence, ".") || !strings.Contains(c.sentence, strings.TrimSpace(c.shown)) {
			t.Errorf("%q is not one sentence naming %q", c.sentence, c.shown)
		}
		if !strings.Contains(page, `<p class="note" id="`+c.id+`">`+c.sentence) && !strings.Contains(page, `id="`+c.id+`">`+htmlEscaped(c.sentence)) {
			t.Errorf("the page does not explain %q (#%s)", c.shown, c.id)
		}
		if !strings.Contains(text.String(), c.sentence) {
			t.Errorf("the text report does not explain %q", c.shown)
		}
	}
}

func htmlEscaped(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
