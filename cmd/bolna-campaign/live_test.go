package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// liveAddr waits for a run's stderr to say where its live status is served, and returns the
// address (the run listens on port 0). It fails the test once the run has ended without.
func liveAddr(t *testing.T, inv *invocation, ended <-chan int) string {
	t.Helper()
	re := regexp.MustCompile(`live status at http://(127\.0\.0\.1:\d+)/`)
	for {
		if m := re.FindStringSubmatch(inv.stderr.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-ended:
			t.Fatalf("the run ended (exit %d) without serving its live status; stderr:\n%s", code, inv.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// parseMetrics parses Prometheus's text format, as Prometheus does.
func parseMetrics(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	return fams
}

// metricValue is the value of the series of fams[name] whose labels include want (0 for none).
func metricValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	sum := 0.0
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		}
	}
	return sum
}

// TestLiveMetricsDuringRun scrapes /metrics all through a run against the stand-in and parses
// every scrape with Prometheus's own text parser: the placements counted never exceed what
// the stand-in saw, the calls in flight never exceed its concurrency, and the outcomes written
// by --metrics-file at the end are the results file's, row for row. No label holds a phone
// number or a name of the list.
func TestLiveMetricsDuringRun(t *testing.T) {
	t.Parallel()
	const concurrency = 4
	timing := bolnatest.FastTiming // with post-processing long enough that calls pile up in it, holding no slot
	timing.PostProcess = bolnatest.Range{Min: 300 * time.Millisecond, Max: 600 * time.Millisecond}
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: concurrency, Timing: timing, APIKey: "bn-live-key-123"})
	t.Cleanup(srv.Close)
	input, phones := writeContacts(t, 40)
	dir := t.TempDir()
	out, metricsFile := filepath.Join(dir, "out.csv"), filepath.Join(dir, "campaign.prom")
	inv := newInvocation(map[string]string{"BOLNA_API_KEY": "bn-live-key-123", "BOLNA_BASE_URL": srv.URL})
	ended := make(chan int, 1)
	go func() {
		ended <- inv.run("run", "--agent-id", bolnatest.DefaultAgentID, "--poll-interval", "20ms", "--results", out,
			"--status-listen", "127.0.0.1:0", "--metrics-file", metricsFile, input)
	}()
	addr := liveAddr(t, inv, ended)
	scrapes, busy, open := 0, 0.0, 0.0
	code := -1
	for code < 0 {
		select {
		case code = <-ended:
			continue
		case <-time.After(10 * time.Millisecond): // a scrape every 10 ms or so
		}
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue // the run ended between the two
		}
		fams := parseMetrics(t, resp.Body)
		resp.Body.Close()
		seen := len(srv.Placements()) // after the scrape: the stand-in saw every placement counted in it
		scrapes++
		if placed := metricValue(fams, "bolna_campaign_calls_placed_total", nil); placed > float64(seen) {
			t.Errorf("scrape %d: %v placements counted, the stand-in saw %d", scrapes, placed, seen)
		}
		if n := metricValue(fams, "bolna_campaign_calls_in_flight", nil); n > concurrency {
			t.Errorf("scrape %d: %v calls in flight, the concurrency is %d", scrapes, n, concurrency)
		}
		busy = max(busy, metricValue(fams, "bolna_campaign_slots", map[string]string{"state": "busy"}))
		open = max(open, metricValue(fams, "bolna_campaign_calls_open", nil))
		checkNoPersonalLabels(t, fams, phones)
	}
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, inv.stderr.String())
	}
	t.Logf("%d scrapes; the most slots busy %v, calls open %v", scrapes, busy, open)
	if scrapes == 0 || busy == 0 || open <= concurrency {
		t.Errorf("%d scrapes during the run, the most slots busy %v, the most calls open %v: the run was never seen at work with calls in post-processing beside those in flight",
			scrapes, busy, open)
	}
	f, err := os.Open(metricsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	final := parseMetrics(t, f)
	want := map[string]int{}
	for _, row := range readRows(t, out) {
		want[string(row.Outcome.Status)]++
	}
	for status, n := range want {
		if got := metricValue(final, "bolna_campaign_outcomes_total", map[string]string{"outcome": status}); got != float64(n) {
			t.Errorf("outcome %s: %v in the final metrics, %d in the results file", status, got, n)
		}
	}
	if got := metricValue(final, "bolna_campaign_outcomes_total", nil); got != float64(len(phones)) {
		t.Errorf("%v outcomes in the final metrics, want one a row (%d)", got, len(phones))
	}
	if got, seen := metricValue(final, "bolna_campaign_calls_placed_total", map[string]string{"campaign": "contacts"}), len(srv.Placements()); got != float64(seen) {
		t.Errorf("%v placements in the final metrics (campaign=contacts), the stand-in saw %d", got, seen)
	}
	if got := metricValue(final, "bolna_campaign_api_requests_total", map[string]string{"class": "call", "code": "200"}); got != float64(len(phones)) {
		t.Errorf("%v POST /call answered 200 in the final metrics, want %d", got, len(phones))
	}
}

// checkNoPersonalLabels fails if a label of fams holds one of phones or a name of the list.
func checkNoPersonalLabels(t *testing.T, fams map[string]*dto.MetricFamily, phones []string) {
	t.Helper()
	for _, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				for _, p := range phones {
					if strings.Contains(l.GetValue(), p[3:]) || strings.Contains(l.GetValue(), "Person") {
						t.Errorf("%s has personal data in a label: %s=%q", f.GetName(), l.GetName(), l.GetValue())
					}
				}
			}
		}
	}
}

// TestStatusListenRules: a plain status listener is loopback only, and a public one wants a
// token by the webhook receiver's rule; each mistake stops the run before any call (exit 2).
func TestStatusListenRules(t *testing.T) {
	t.Parallel()
	input, _ := writeContacts(t, 3)
	tests := []struct {
		name  string
		token string
		args  []string
		say   string
	}{
		{"every interface", "", []string{"--status-listen", ":9090"}, "not a loopback address"},
		{"another host", "", []string{"--status-listen", "10.1.2.3:9090"}, "not a loopback address"},
		{"public without a token", "", []string{"--status-listen", ":9090", "--status-listen-public"}, "BOLNA_STATUS_TOKEN"},
		{"public with a short token", "short", []string{"--status-listen", ":9090", "--status-listen-public"}, "at least 16 characters"},
		{"public alone", "", []string{"--status-listen-public"}, "needs --status-listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv := newInvocation(map[string]string{"BOLNA_STATUS_TOKEN": tt.token})
			args := append(append([]string{"run", "--sandbox", "--results", filepath.Join(t.TempDir(), "r.csv")}, tt.args...), input)
			if code := inv.run(args...); code != exitUsage || !strings.Contains(inv.stderr.String(), tt.say) {
				t.Errorf("exit %d, want %d saying %q; stderr:\n%s", code, exitUsage, tt.say, inv.stderr.String())
			}
		})
	}
}

// TestStatusTokenAndHealth: a public listener serves nothing but /healthz without the token
// (404, as the webhook receiver answers), and everything with it, as a bearer token or as the
// path's first segment; /healthz says 503 while every request to Bolna has failed for
// outageAfter, and 200 again at the first answer.
func TestStatusTokenAndHealth(t *testing.T) {
	t.Parallel()
	const token = "status-token-0123456789"
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	api := newAPICounts()
	api.now = func() time.Time { return now }
	l := &liveOptions{statusListen: "127.0.0.1:0", statusPublic: true, statusToken: token, api: api}
	ls, err := l.startLive(newConsole(Env{Stderr: io.Discard}, "text"), &liveSources{start: now}, "spring", "")
	if err != nil {
		t.Fatal(err)
	}
	defer ls.close(nil)
	base := "http://" + ls.ln.Addr().String()
	get := func(path, bearer string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tt := range []struct {
		path, bearer string
		want         int
	}{
		{"/metrics", "", 404}, {"/", "", 404}, {"/status.json", "wrong-token-0123456789", 404}, {"/" + token[:len(token)-1] + "/metrics", "", 404},
		{"/metrics", token, 200}, {"/status.json", token, 200}, {"/" + token + "/metrics", "", 200}, {"/" + token + "/", "", 200},
		{"/healthz", "", 200}, {"/" + token, "", 200}, // redirected to /TOKEN/
	} {
		if code, _ := get(tt.path, tt.bearer); code != tt.want {
			t.Errorf("GET %s (a bearer token: %v): %d, want %d", tt.path, tt.bearer != "", code, tt.want)
		}
	}
	api.note("list", 503, false)
	now = now.Add(outageAfter - time.Second)
	api.note("list", 0, false) // no answer
	if code, body := get("/healthz", ""); code != 200 {
		t.Errorf("failing for less than %v: /healthz %d %q, want 200", outageAfter, code, body)
	}
	now = now.Add(time.Second)
	if code, body := get("/healthz", ""); code != 503 || strings.TrimSpace(body) != "outage" {
		t.Errorf("failing for %v: /healthz %d %q, want 503 outage", outageAfter, code, body)
	}
	api.note("list", 0, true) // the run gave it up: says nothing of Bolna
	if code, _ := get("/healthz", ""); code != 503 {
		t.Errorf("after a canceled request: /healthz %d, want 503 still", code)
	}
	api.note("other", 404, false)
	if code, body := get("/healthz", ""); code != 200 {
		t.Errorf("after an answer: /healthz %d %q, want 200", code, body)
	}
	if s := (snapshot{}); s.health() != "ok" {
		t.Errorf("an empty snapshot's health is %q", s.health())
	}
	halted := snapshot{}
	halted.progress.Halted = "the spend cap of 100 is reached"
	if halted.health() != "halted" {
		t.Errorf("a halted run's health is %q, want halted", halted.health())
	}
}

// TestSlotHistoryThins: the history never holds more than its size; full, it keeps every other
// point and samples half as often, so the first point stays and the whole run is seen.
func TestSlotHistoryThins(t *testing.T) {
	t.Parallel()
	h := newSlotHistory(8)
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for i := range 100 {
		h.add(point{At: start.Add(time.Duration(i) * sampleEvery).UnixMilli(), Placed: i})
	}
	pts := h.copy()
	if len(pts) > 8 || len(pts) < 4 {
		t.Fatalf("%d points kept of 100, want 4 to 8", len(pts))
	}
	if pts[0].Placed != 0 || pts[len(pts)-1].Placed < 90 {
		t.Errorf("the history spans samples %d to %d, want the first to about the last", pts[0].Placed, pts[len(pts)-1].Placed)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].At <= pts[i-1].At {
			t.Errorf("points %d and %d out of order", i-1, i)
		}
	}
}

// TestJobSampleScrapesLiveStatus: the Kubernetes sample's pods serve their live status where
// its PodMonitor scrapes (the container port it names, the port --status-listen takes), beyond
// loopback with a token from the Secret the PodMonitor sends.
func TestJobSampleScrapesLiveStatus(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../samples/campaign-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var monitor struct {
		Spec struct {
			Endpoints []struct {
				Port, Path    string
				Authorization struct {
					Credentials struct{ Name, Key string }
				}
			} `yaml:"podMetricsEndpoints"`
		}
	}
	var pod struct {
		Containers []struct {
			Args  []string
			Ports []struct {
				Name          string
				ContainerPort int `yaml:"containerPort"`
			}
			Env []struct {
				Name      string
				ValueFrom struct {
					SecretKeyRef struct{ Name, Key string } `yaml:"secretKeyRef"`
				} `yaml:"valueFrom"`
			}
		}
	}
	for doc := range strings.SplitSeq(string(b), "\n---\n") {
		switch {
		case strings.Contains(doc, "kind: PodMonitor"):
			err = yaml.Unmarshal([]byte(doc), &monitor)
		case strings.Contains(doc, "kind: CronJob"):
			var cron struct {
				Spec struct {
					JobTemplate struct {
						Spec struct {
							Template struct{ Spec yaml.Node } `yaml:"template"`
						}
					} `yaml:"jobTemplate"`
				}
			}
			if err = yaml.Unmarshal([]byte(doc), &cron); err == nil {
				err = cron.Spec.JobTemplate.Spec.Template.Spec.Decode(&pod)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(monitor.Spec.Endpoints) != 1 || len(pod.Containers) != 1 {
		t.Fatalf("want a PodMonitor with one endpoint and a pod with one container: %+v, %d containers", monitor, len(pod.Containers))
	}
	ep, c := monitor.Spec.Endpoints[0], pod.Containers[0]
	port := 0
	for _, p := range c.Ports {
		if p.Name == ep.Port {
			port = p.ContainerPort
		}
	}
	args := strings.Join(c.Args, " ")
	if port == 0 || ep.Path != "/metrics" || !strings.Contains(args, fmt.Sprintf("--status-listen :%d --status-listen-public", port)) {
		t.Errorf("the PodMonitor scrapes port %q (%d) at %s; the command: %s", ep.Port, port, ep.Path, args)
	}
	token := false
	for _, e := range c.Env {
		token = token || e.Name == "BOLNA_STATUS_TOKEN" && e.ValueFrom.SecretKeyRef == ep.Authorization.Credentials
	}
	if !token {
		t.Errorf("the pod's BOLNA_STATUS_TOKEN is not the secret the PodMonitor sends (%+v)", ep.Authorization.Credentials)
	}
}
