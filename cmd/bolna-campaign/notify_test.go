package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/results"
)

// TestEndNotice: the notice of a run's end says what happened — finished, stopped on purpose
// (a stop is not a failure), or failed — and its text, Slack's field, names the campaign and the
// host and gives the rows dialled, the people reached, the goal's rate where there is one, and
// the spend in dollars.
func TestEndNotice(t *testing.T) {
	t.Parallel()
	s := &campaign.Summary{Dialled: 9, Spent: 4123, Halted: "the spend cap of 4000 is reached (spent 4123.00)"}
	rep := &results.Report{Rows: 12, Dialled: 9, Answered: 6, AnswerRate: 6.0 / 9}
	goal := &results.Report{Rows: 12, Dialled: 9, Answered: 6, AnswerRate: 6.0 / 9, Goal: &results.Goal{Key: "confirmed", Value: "yes", Reached: 3, Rate: 3.0 / 9}}
	tests := []struct {
		name      string
		rep       *results.Report
		err       error
		event     string
		want, not []string
	}{
		{"finished, halted by the spend cap", rep, nil, "finished",
			[]string{"finished a run of c.results.csv on host-1", "9 calls dialled", "6 people reached (67%)", "spent $41.23", "It halted: the spend cap"}, []string{"error"}},
		{"stopped on purpose", rep, campaign.ErrStopped, "stopped",
			[]string{"stopped a run of c.results.csv on host-1", "stopped on purpose", "spent $41.23"}, []string{"error", "failed"}},
		{"with a goal", goal, nil, "finished", []string{"goal confirmed=yes 3 (33% of those dialled)"}, nil},
		{"failed", rep, errors.New("the API key was refused"), "failed", []string{"failed a run", "It stopped on an error: the API key was refused"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := endNotice("c.results.csv", "host-1", s, tt.rep, tt.err)
			if doc.Event != tt.event {
				t.Errorf("event %q, want %q", doc.Event, tt.event)
			}
			for _, w := range tt.want {
				if !strings.Contains(doc.Text, w) {
					t.Errorf("text %q lacks %q", doc.Text, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(doc.Text, w) {
					t.Errorf("text %q says %q", doc.Text, w)
				}
			}
		})
	}
}

// TestNotify: --notify delivers one JSON notice when a run halts (at once, while its calls are
// still followed) and one when it ends, through a receiver that fails each notice's first try;
// the notice has the summary and a sentence for a chat, and never the key, nor a person's name
// or whole number (a chat is no place for them: its rows to chase are named by their lines,
// numbers masked). A URL that is not https nor loopback is refused.
func TestNotify(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		tries = map[string]int{}
		docs  []map[string]any
		raw   []string
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var doc map[string]any
		json.Unmarshal(b, &doc)
		event, _ := doc["event"].(string)
		mu.Lock()
		defer mu.Unlock()
		tries[event]++
		if tries[event] == 1 {
			w.WriteHeader(http.StatusBadGateway) // every notice's first try fails
			return
		}
		docs, raw = append(docs, doc), append(raw, string(b))
	}))
	t.Cleanup(recv.Close)
	const key = "bn-notify-secret-0123456789"
	input, phones := writeContacts(t, 12)
	srv := bolnatest.NewServer(bolnatest.Options{APIKey: key, Timing: bolnatest.FastTiming,
		Outcome: func(phone string) bolnatest.Outcome {
			if phone == phones[0] || phone == phones[1] {
				return bolnatest.Outcome{Status: "no-answer"} // rows to chase
			}
			return bolnatest.Outcome{Status: "completed"}
		}})
	t.Cleanup(srv.Close)
	env := map[string]string{"BOLNA_API_KEY": key, "BOLNA_BASE_URL": srv.URL, "BOLNA_AGENT_ID": bolnatest.DefaultAgentID}
	inv := newInvocation(env)
	inv.run("run", "--poll-interval", "20ms", "--concurrency", "2", "--max-cost", "1", "--notify", recv.URL+"/hook", input)
	mu.Lock()
	defer mu.Unlock()
	events := map[string]int{}
	for _, d := range docs {
		events[d["event"].(string)]++
		if text, _ := d["text"].(string); text == "" {
			t.Errorf("a notice without text: %v", d)
		}
	}
	if events["halted"] != 1 || events["finished"] != 1 || len(docs) != 2 {
		t.Errorf("notices %v, want one halted and one finished:\n%s", events, inv.stderr.String())
	}
	for _, d := range docs {
		if d["event"] == "finished" && d["summary"] == nil {
			t.Errorf("the finished notice has no summary: %v", d)
		}
	}
	for _, r := range raw {
		if strings.Contains(r, key) {
			t.Error("a notice carried the API key")
		}
		for i, p := range phones {
			if strings.Contains(r, p) || strings.Contains(r, fmt.Sprintf("Person %d", i)) {
				t.Errorf("a notice carried %s or their name:\n%s", p, r)
				break
			}
		}
	}
	if !strings.Contains(strings.Join(raw, ""), `"chase_total":2`) {
		t.Errorf("the finished notice does not count the 2 rows to chase:\n%s", raw)
	}
	bad := newInvocation(env)
	if code := bad.run("run", "--notify", "http://hooks.example.com/x", input); code != exitUsage {
		t.Errorf("--notify over plain http to a remote host: exit %d, want 2", code)
	}
}

// TestMaskedReport: the report a log or a notice carries names no person: its rows to chase
// keep their line and a masked number, and the values of extracted data fewer than three rows
// share are counted under "(other)"; the report it is made from is left whole.
func TestMaskedReport(t *testing.T) {
	t.Parallel()
	rep := &results.Report{
		Chase: []results.Chase{{File: "r.csv", Line: 7, Phone: "+919812345678", Name: "Asha Rao", Status: "no-answer"}},
		Extracted: map[string]map[string]int{
			"confirmed": {"yes": 5, "no": 3, "maybe": 1},
			"email":     {"asha@example.com": 1, "ravi@example.com": 1},
		},
	}
	got := maskedReport(rep)
	if c := got.Chase[0]; c.Line != 7 || c.Name != "" || c.Phone == rep.Chase[0].Phone || !strings.HasPrefix(c.Phone, "+9198") {
		t.Errorf("row to chase %+v: want line 7, no name, the number masked", c)
	}
	want := map[string]map[string]int{"confirmed": {"yes": 5, "no": 3, "(other)": 1}, "email": {"(other)": 2}}
	if !reflect.DeepEqual(got.Extracted, want) {
		t.Errorf("extracted %v, want %v", got.Extracted, want)
	}
	if rep.Chase[0].Name != "Asha Rao" || rep.Extracted["email"]["asha@example.com"] != 1 {
		t.Errorf("the report itself was changed: %+v", rep)
	}
	if maskedReport(nil) != nil {
		t.Error("maskedReport(nil) is not nil")
	}
}
