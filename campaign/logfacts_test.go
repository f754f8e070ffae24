package campaign_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// jsonLog is a JSON slog log kept in memory, every level: what --log-format json writes.
type jsonLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *jsonLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func newJSONLog() (*jsonLog, *slog.Logger) {
	l := &jsonLog{}
	return l, slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// records are the log's events, each its keys as encoding/json reads them.
func (l *jsonLog) records(t *testing.T) (string, []map[string]any) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var recs []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("a line that is not JSON: %q", sc.Text())
		}
		recs = append(recs, rec)
	}
	return l.buf.String(), recs
}

// TestLogFactsOfRetriesAndLostReplies (#33): the client's retries of a refused POST /call are
// logged with the call's facts (its line, its number masked, its attempt) and the request's
// (class, code, retry_after_s, try, error); a placement whose reply was lost is logged with the
// call's line, and the call found then with its execution id; every call's events, selected
// by its execution id, hold its end with the results' status. No whole number is logged.
func TestLogFactsOfRetriesAndLostReplies(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	posts := map[string]int{}
	opts := bolnatest.Options{Timing: bolnatest.FastTiming, Faults: bolnatest.Faults{Hook: func(r *http.Request) bolnatest.Fault {
		if r.Method != http.MethodPost || r.URL.Path != "/call" {
			return bolnatest.NoFault
		}
		var body struct {
			Phone string `json:"recipient_phone_number"`
		}
		b, _ := readBody(r)
		json.Unmarshal(b, &body)
		mu.Lock()
		defer mu.Unlock()
		posts[body.Phone]++
		switch {
		case posts[body.Phone] == 1:
			return bolnatest.TooMany // each row's first POST: refused, tried again
		case strings.HasSuffix(body.Phone, "0"), strings.HasSuffix(body.Phone, "5"):
			return bolnatest.LoseReply // the call is made, its reply lost
		}
		return bolnatest.NoFault
	}}}
	tc := newCampaign(t, opts, 6)
	log, logger := newJSONLog()
	client := tc.srv.Client(dialer.WithPlaceBackoff(dialer.Backoff{Attempts: 3, Base: 10 * time.Millisecond, Max: 20 * time.Millisecond}),
		dialer.WithLogger(logger))
	cfg := baseConfig()
	cfg.Logger = logger
	summary, rows, err := tc.runWith(t, t.Context(), client, tc.srv.URL, cfg, nil)
	if err != nil || summary.Unfinished() != 0 {
		t.Fatalf("Run() = %+v, %v", summary, err)
	}
	text, recs := log.records(t)
	for _, p := range tc.phones {
		if strings.Contains(text, p) {
			t.Errorf("the log holds the whole number %s", p)
		}
	}
	retries, lost := map[float64]bool{}, 0
	ended := map[string]any{}
	for _, rec := range recs {
		switch {
		case rec["event"] == "retry":
			if rec["class"] != "call" || rec["code"] != float64(429) || rec["try"] != float64(2) || rec["attempt"] != float64(1) ||
				rec["retry_after_s"] == nil || rec["error"] == nil || !strings.Contains(rec["phone"].(string), "••••") {
				t.Errorf("a retry of a placement without its facts: %v", rec)
			}
			line, _ := rec["line"].(float64)
			retries[line] = true
		case strings.Contains(rec["msg"].(string), "reply to POST /call was lost"):
			if rec["line"] == nil || rec["phone"] == nil || rec["error"] == nil {
				t.Errorf("a lost reply without the call's facts: %v", rec)
			}
			lost++
		case rec["event"] == "ended":
			ended[rec["execution_id"].(string)] = rec["outcome"]
		}
	}
	if len(retries) != len(tc.phones) || lost != 2 {
		t.Errorf("retries logged for lines %v, %d lost replies; want the %d rows' first POSTs, and 2", retries, lost, len(tc.phones))
	}
	for _, row := range rows {
		if id := row.Outcome.ExecutionID; id == "" || ended[id] != string(row.Outcome.Status) {
			t.Errorf("line %d (%s): its call's end logged with outcome %v, want %s", row.Line, id, ended[id], row.Outcome.Status)
		}
		if !retries[float64(row.Line)] {
			t.Errorf("line %d: no retry of its POST named its line", row.Line)
		}
	}
}
