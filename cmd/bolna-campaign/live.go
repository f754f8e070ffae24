package main

import (
	"crypto/subtle"
	"flag"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/webhook"
)

// The live status of a run: --status-listen serves /metrics, a live page and /healthz while
// the run lasts, --metrics-file writes the final metrics for a node exporter. See metrics.go
// for what is measured and livepage.go for the page.

// liveOptions are run's flags of the live status.
type liveOptions struct {
	statusListen string
	statusPublic bool
	metricsFile  string
	statusToken  string     // BOLNA_STATUS_TOKEN: the secret of a public listener
	api          *apiCounts // the client's requests, counted once either flag is given
}

func (l *liveOptions) flags(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&l.statusListen, "status-listen", "", "serve the run's live status on `ADDR` while it lasts (e.g. 127.0.0.1:9090): /metrics for Prometheus, / a live page, /healthz; loopback only unless --status-listen-public")
	fs.BoolVar(&l.statusPublic, "status-listen-public", false, "let --status-listen take an address other than loopback; every path but /healthz then wants the token of BOLNA_STATUS_TOKEN (Authorization: Bearer TOKEN, or the path /TOKEN/…)")
	fs.StringVar(&l.metricsFile, "metrics-file", "", "write the run's final metrics to `PATH` when it ends, in the node exporter's textfile format (written to a temporary file, then renamed)")
	l.statusToken = strings.TrimSpace(getenv("BOLNA_STATUS_TOKEN"))
}

// validate checks the live status's flags: a plain listener on loopback, or a public one
// with a token by the webhook receiver's rule.
func (l *liveOptions) validate() error {
	switch {
	case l.statusListen == "":
		if l.statusPublic {
			return usageErrorf("run: --status-listen-public needs --status-listen ADDR")
		}
		return nil
	case l.statusPublic:
		if err := webhook.CheckToken(l.statusToken); err != nil {
			return usageErrorf("run: --status-listen-public: set BOLNA_STATUS_TOKEN to a secret (%v)", err)
		}
	case !dialer.IsLoopbackListen(l.statusListen):
		return usageErrorf("run: --status-listen %s is not a loopback address (e.g. 127.0.0.1:9090): add --status-listen-public, with a token in BOLNA_STATUS_TOKEN, to serve it beyond this machine", l.statusListen)
	}
	return nil
}

// wrap is the client's transport wrapper that counts its requests, or nil when no live status
// was asked for (see clientOptions).
func (l *liveOptions) wrap() func(http.RoundTripper) http.RoundTripper {
	if l.statusListen == "" && l.metricsFile == "" {
		return nil
	}
	if l.api == nil {
		l.api = newAPICounts()
	}
	return l.api.wrap
}

// liveStatus is a run's live status: its metrics, and the server of --status-listen.
type liveStatus struct {
	opts    *liveOptions
	src     *liveSources
	reg     *prometheus.Registry
	history *slotHistory
	srv     *http.Server
	ln      net.Listener
	done    chan struct{}
}

// startLive starts the live status of a run (nil when none was asked for): it listens at once,
// so an address in use stops the run before any call.
func (l *liveOptions) startLive(out *console, src *liveSources, campaignName, shard string) (*liveStatus, error) {
	if l.statusListen == "" && l.metricsFile == "" {
		return nil, nil
	}
	src.api = l.api
	ls := &liveStatus{opts: l, src: src, reg: newMetricsRegistry(src, campaignName, shard), done: make(chan struct{})}
	if l.statusListen == "" {
		return ls, nil
	}
	ln, err := net.Listen("tcp", l.statusListen)
	if err != nil {
		return nil, fmt.Errorf("--status-listen: %w", err)
	}
	ls.ln, ls.history = ln, newSlotHistory(historySize)
	ls.srv = &http.Server{Handler: ls.handler(campaignName), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 15 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10}
	go ls.srv.Serve(ln)
	go ls.sample()
	where := "http://" + ln.Addr().String() + "/"
	if l.statusPublic {
		where += webhook.MaskToken(l.statusToken) + "/ (the token hidden; or send it as Authorization: Bearer)"
	}
	out.logf("live status at %s: the page, /metrics for Prometheus, /healthz", where)
	return ls, nil
}

// handler serves the live status; with a public listener, every path but /healthz wants the
// token.
func (ls *liveStatus) handler(campaignName string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(ls.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /status.json", ls.serveJSON)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { ls.servePage(w, campaignName) })
	if !ls.opts.statusPublic {
		mux.HandleFunc("GET /healthz", ls.serveHealth)
		return mux
	}
	token := ls.opts.statusToken
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			ls.serveHealth(w, r)
			return
		}
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && subtle.ConstantTimeCompare([]byte(bearer), []byte(token)) == 1 {
			mux.ServeHTTP(w, r)
			return
		}
		first, rest, slash := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if subtle.ConstantTimeCompare([]byte(first), []byte(token)) != 1 {
			http.NotFound(w, r)
			return
		}
		if !slash { // the page reads status.json beside it: /TOKEN/status.json
			http.Redirect(w, r, "/"+token+"/", http.StatusFound)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = "/"+rest, ""
		mux.ServeHTTP(w, r2)
	})
}

// serveHealth answers 200 while the run is healthy, 503 while it is halted or in an outage,
// with one word: it is open to anyone who reaches the listener (a probe sends no token).
func (ls *liveStatus) serveHealth(w http.ResponseWriter, _ *http.Request) {
	h := ls.src.snapshot().health()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if h != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, h)
}

// close stops serving, and writes --metrics-file from the run's final counts.
func (ls *liveStatus) close(out *console) error {
	if ls == nil {
		return nil
	}
	close(ls.done)
	if ls.srv != nil {
		ls.srv.Close()
	}
	if ls.opts.metricsFile == "" {
		return nil
	}
	if err := writeMetricsFile(ls.opts.metricsFile, ls.reg); err != nil {
		return fmt.Errorf("--metrics-file: %w", err)
	}
	out.logf("the run's final metrics are in %s", ls.opts.metricsFile)
	return nil
}

// campaignLabel is the campaign's name in the metrics: the list's file name without its
// extension (the operator's name for it; no cell of the list).
func campaignLabel(input string) string {
	base := filepath.Base(input)
	return dialer.Printable(strings.TrimSuffix(base, filepath.Ext(base)))
}

// shardLabel is the shard in the metrics: K/N, or "" for a run of the whole list.
func shardLabel(s campaign.Shard) string {
	if s.N <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// startLiveStatus starts the live status of a run (if asked for) and returns what ends it:
// the server stops and --metrics-file is written, from the run's final counts.
func (o *runOptions) startLiveStatus(out *console, runner *campaign.Runner, client *dialer.Client, receiver *webhook.Receiver) (end func(), err error) {
	src := &liveSources{runner: runner, client: client, receiver: receiver, start: time.Now()}
	if !o.unpaced {
		src.limits = o.limits()
	}
	ls, err := o.startLive(out, src, campaignLabel(o.input), shardLabel(o.parsedShard))
	if err != nil {
		return nil, err
	}
	return func() {
		if err := ls.close(out); err != nil {
			out.warnf("%v", err)
		}
	}, nil
}
