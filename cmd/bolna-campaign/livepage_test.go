package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// findChromium is the headless browser the page is checked in, or "" when there is none.
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// pageCheck is what the browser measures on the live page, once it has shown the run.
type pageCheck struct {
	ScrollWidth, Width float64 // the document's and the window's
	SmallestText       float64 // px, of any element with text of its own
	Smallest           string  // that element
	Placed             string  // the page's count of placements, to see it shows the run
	Bars               int     // outcomes drawn
	Chart              int     // points of the slots' chart
}

const measurePage = `(() => {
  let smallest = 1e9, which = "";
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== "");
    if (!own || el.closest("script, style")) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    if (px < smallest) { smallest = px; which = el.tagName + "." + el.className + "#" + el.id; }
  }
  return { ScrollWidth: document.documentElement.scrollWidth, Width: window.innerWidth,
    SmallestText: smallest, Smallest: which, Placed: document.getElementById("placed").textContent,
    Bars: document.querySelectorAll("#outcomes .bar").length,
    Chart: (document.getElementById("busy").getAttribute("points") || "").split(" ").filter(Boolean).length };
})()`

// headless is an allocator of headless Chromium (browser) tabs, closed when t ends, started
// with the flags this machine's closed network needs.
func headless(t *testing.T, browser string) context.Context {
	t.Helper()
	alloc, cancel := chromedp.NewExecAllocator(t.Context(), chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	t.Cleanup(cancel)
	return alloc
}

// TestLivePageInBrowser opens the live page of a running campaign in headless Chromium at 400
// and 1440 px wide: once it has refreshed itself with the run's counts, nothing overflows the
// window sideways, no text is under 12 px, and no script error was thrown. Without Chromium
// the test is skipped (Debian: apt-get install chromium; .ci/run installs it).
func TestLivePageInBrowser(t *testing.T) {
	t.Parallel()
	browser := findChromium()
	if browser == "" {
		t.Skip("no chromium on PATH: the live page is not checked in a browser (apt-get install chromium)")
	}
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 4, Timing: bolnatest.FastTiming, APIKey: "bn-page-key-123"})
	t.Cleanup(srv.Close)
	input, _ := writeContacts(t, 400)
	inv := newInvocation(map[string]string{"BOLNA_API_KEY": "bn-page-key-123", "BOLNA_BASE_URL": srv.URL})
	ended := make(chan int, 1)
	go func() {
		ended <- inv.run("run", "--agent-id", bolnatest.DefaultAgentID, "--poll-interval", "20ms",
			"--results", filepath.Join(t.TempDir(), "out.csv"), "--status-listen", "127.0.0.1:0", input)
	}()
	addr := liveAddr(t, inv, ended)
	defer func() { // the run is interrupted once the page is checked
		inv.signals <- os.Interrupt
		inv.signals <- os.Interrupt
		<-ended
	}()

	alloc := headless(t, browser)
	for _, width := range []int64{400, 1440} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(alloc)
			defer cancel()
			ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
			defer cancelTimeout()
			var (
				mu     sync.Mutex
				errors []string
			)
			err := chromedp.Listen(ctx, func(ev any) {
				mu.Lock()
				defer mu.Unlock()
				switch ev := ev.(type) {
				case *runtime.EventExceptionThrown:
					errors = append(errors, fmt.Sprintf("%s (line %d)", ev.ExceptionDetails.Text, ev.ExceptionDetails.LineNumber))
				case *runtime.EventConsoleAPICalled:
					if ev.Type == runtime.ConsoleAPICalledTypeError {
						errors = append(errors, fmt.Sprintf("console.error %d arguments", len(ev.Args)))
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			err = chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate("http://"+addr+"/"))
			if err == nil {
				_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll("#outcomes .bar").length > 0 && document.getElementById("busy").getAttribute("points").split(" ").length > 1`,
					chromedp.WithPollingInterval(100*time.Millisecond)))
			}
			var c pageCheck
			if err == nil {
				c, err = chromedp.Run(ctx, chromedp.Evaluate[pageCheck](measurePage))
			}
			if err != nil {
				t.Fatalf("the page never showed the run's outcomes and chart: %v", err)
			}
			if c.ScrollWidth > c.Width {
				t.Errorf("at %d px the page is %v px wide: it overflows sideways", width, c.ScrollWidth)
			}
			if c.SmallestText < 12 {
				t.Errorf("at %d px, %s has text of %v px, under 12", width, c.Smallest, c.SmallestText)
			}
			if c.Placed == "–" || !strings.Contains(c.Placed, "/ 400") || c.Bars == 0 || c.Chart < 2 {
				t.Errorf("the page does not show the run: placed %q, %d outcome bars, %d chart points", c.Placed, c.Bars, c.Chart)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, e := range errors {
				t.Errorf("at %d px, a script error: %s", width, e)
			}
		})
	}
}
