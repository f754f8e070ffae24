package campaign

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
)

func TestPossibleStatuses(t *testing.T) {
	t.Parallel()
	const (
		sch  = dialer.StatusScheduled
		res  = dialer.StatusRescheduled
		que  = dialer.StatusQueued
		ini  = dialer.StatusInitiated
		rin  = dialer.StatusRinging
		inp  = dialer.StatusInProgress
		disc = dialer.StatusCallDisconnected
	)
	tests := []struct {
		name string
		last []dialer.Status // where each call was last seen ("": never)
		want []dialer.Status
	}{
		{"none", nil, nil},
		{"talking: talking or gone", []dialer.Status{inp}, []dialer.Status{inp}},
		{"just placed: anywhere on the way", []dialer.Status{""}, []dialer.Status{que, ini, rin, inp}},
		{"ringing and talking", []dialer.Status{inp, rin}, []dialer.Status{rin, inp}},
		{"post-processing on its own", []dialer.Status{disc}, []dialer.Status{disc}},
		{"talking and post-processing", []dialer.Status{disc, inp}, []dialer.Status{inp, disc}},
		{"held by the guardrails: it queues when its hours come", []dialer.Status{res, inp}, []dialer.Status{res, que, ini, rin, inp}},
		{"scheduled", []dialer.Status{sch}, []dialer.Status{sch, res, que, ini, rin, inp}},
		{"an undocumented status is read by id", []dialer.Status{"voicemail-detected", inp}, []dialer.Status{inp}},
	}
	for _, tt := range tests {
		var calls []*attempt
		for _, s := range tt.last {
			calls = append(calls, &attempt{status: s})
		}
		if got := possibleStatuses(calls); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPlan: at concurrency 16 one unfiltered page sees every call; at concurrency 500 with
// calls of minutes, most calls created since the oldest one holding a slot have ended, and
// reading by status is cheaper; one or two old calls are cheaper read by id.
func TestPlan(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tracker := func(placedPerMinute, live int, status dialer.Status) (*tracker, []*attempt) {
		cfg := Config{}
		cfg.setDefaults()
		tr := newTracker(trackerDeps{cfg: &cfg, ledger: newLedger(ledgerDeps{now: cfg.Now, looks: newLimits(&cfg).looks}), looks: newLimits(&cfg).looks})
		// Calls placed evenly over the last four minutes; the latest live ones still hold a slot.
		n := 4 * placedPerMinute
		var due []*attempt
		for i := range n {
			at := now.Add(-time.Duration(n-i) * 4 * time.Minute / time.Duration(n))
			tr.created.add(at, now.Add(-time.Hour))
			if i >= n-live {
				c := &attempt{LiveCall: journal.LiveCall{ExecutionID: fmt.Sprint(i), DialedAt: at}, phase: phaseOf(status), status: status}
				tr.book.index(c)
				due = append(due, c)
			}
		}
		due[0].DialedAt = now.Add(-4 * time.Minute) // the oldest call holding a slot is four minutes old
		return tr, due
	}
	tr, due := tracker(8, 16, dialer.StatusInProgress)
	if plan := tr.plan(due, now); plan.statuses != nil || plan.pages != 1 {
		t.Errorf("concurrency 16: %+v, want one unfiltered page", plan)
	}
	tr, due = tracker(300, 500, dialer.StatusInProgress)
	if plan := tr.plan(due, now); !slices.Equal(plan.statuses, []dialer.Status{dialer.StatusInProgress}) || plan.pages != 10 {
		t.Errorf("concurrency 500: %+v, want the 10 pages of calls in progress (not the 24 of every call since the oldest)", plan)
	}
	if plan := tr.plan(due[:2], now); plan.pages != 0 {
		t.Errorf("two calls: %+v, want them read by id", plan)
	}
	// Two agents (an experiment's arms): each list is read on its own, a page each at least.
	tr, due = tracker(8, 16, dialer.StatusInProgress)
	for i := 1; i < len(due); i += 2 {
		due[i].Agent = "agent-b"
	}
	if plan := tr.plan(due, now); plan.statuses != nil || plan.pages != 2 {
		t.Errorf("concurrency 16, two agents: %+v, want one unfiltered page of each agent's list", plan)
	}
	tr, due = tracker(300, 500, dialer.StatusInProgress)
	for i := 1; i < len(due); i += 2 {
		due[i].Agent = "agent-b"
	}
	if plan := tr.plan(due, now); plan.pages != 11 {
		t.Errorf("concurrency 500, two agents: %+v, want 11 pages (10 of calls in progress, one more for the second list)", plan)
	}
}

func TestClockOffset(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	type sample struct{ created, sent, answered time.Duration } // from now
	tests := []struct {
		name    string
		samples []sample
		known   bool
		lo, hi  time.Duration
	}{
		{"too few calls seen", []sample{{0, 0, time.Second}, {0, 0, time.Second}}, false, 0, 0},
		{"Bolna's clock 7 s ahead", []sample{{7500 * time.Millisecond, 0, time.Second}, {7200 * time.Millisecond, 0, 400 * time.Millisecond}, {7100 * time.Millisecond, 0, 200 * time.Millisecond}},
			true, 6900 * time.Millisecond, 7100 * time.Millisecond},
		// However far off (#19: created_at in another zone, a server clock 20 minutes off), a
		// consistent offset is where Bolna's clock puts the calls.
		{"created_at in another time zone", []sample{{5*time.Hour + 30*time.Minute, 0, time.Second}, {5*time.Hour + 30*time.Minute, 0, time.Second}, {5*time.Hour + 30*time.Minute, 0, time.Second}},
			true, 5*time.Hour + 29*time.Minute + 59*time.Second, 5*time.Hour + 30*time.Minute},
		{"a jump, then three calls agree", []sample{{0, 0, time.Second}, {20 * time.Minute, 0, time.Second}, {20 * time.Minute, 0, time.Second}, {20 * time.Minute, 0, time.Second}},
			true, 20*time.Minute - time.Second, 20 * time.Minute},
		{"bounds that cross: the clock jumped", []sample{{0, 0, time.Second}, {10 * time.Second, 0, time.Second}, {0, 0, time.Second}}, false, 0, 0},
	}
	for _, tt := range tests {
		var o clockOffset
		for _, s := range tt.samples {
			o.note(now.Add(s.created), now.Add(s.sent), now.Add(s.answered))
		}
		if o.known() != tt.known {
			t.Errorf("%s: known %v, want %v", tt.name, o.known(), tt.known)
			continue
		}
		from, to := o.window(now, now.Add(time.Second))
		if !tt.known {
			if from != now.Add(-clockSkew) || to != now.Add(time.Second+clockSkew) {
				t.Errorf("%s: window [%v, %v], want the wide one", tt.name, from.Sub(now), to.Sub(now))
			}
			continue
		}
		if o.lo != tt.lo || o.hi != tt.hi || from != now.Add(tt.lo-offsetSlack) || to != now.Add(time.Second+tt.hi+offsetSlack) {
			t.Errorf("%s: offset [%v, %v], window [%v, %v]; want [%v, %v]", tt.name, o.lo, o.hi, from.Sub(now), to.Sub(now), tt.lo, tt.hi)
		}
	}
}

// TestPoolSize: a run takes what the account has free; N shards started together take, between
// them, no more than that (each its part, the remainder to the first shards), nor more than
// their part of the max once the other traffic has gone.
func TestPoolSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                      string
		shards, reserve           int
		maxSlots, current, active int
		wantEach                  []int // by shard index (one entry without shards)
	}{
		{"a single run takes what is free", 0, 0, 10, 3, 0, []int{7}},
		{"a single run adds back its own calls", 0, 0, 10, 3, 2, []int{9}},
		{"two shards, 3 of 5 busy elsewhere", 2, 0, 5, 3, 0, []int{1, 1}},
		{"four shards, 10 free: the remainder to the first", 4, 0, 10, 0, 0, []int{3, 3, 2, 2}},
		{"four shards, a reserve of 2", 4, 2, 10, 0, 0, []int{2, 2, 2, 2}},
		{"three shards, 7 of 10 free", 3, 0, 10, 3, 0, []int{3, 2, 2}},
	}
	for _, tt := range tests {
		total := 0
		for k, want := range tt.wantEach {
			cfg := Config{Reserve: tt.reserve, Shard: Shard{K: k, N: tt.shards}}
			cfg.setDefaults()
			got := poolSize(cfg, tt.maxSlots, tt.current, tt.active)
			if got != want {
				t.Errorf("%s: shard %d takes %d slots, want %d", tt.name, k, got, want)
			}
			total += got
		}
		if free := tt.maxSlots - tt.current + tt.active - tt.reserve; total > max(free, len(tt.wantEach)) {
			t.Errorf("%s: %d slots taken, %d free", tt.name, total, free)
		}
	}
}

// TestCallerIDChoice: a call goes out on a number with its contact's country calling code,
// then the one sharing the longest prefix (an area code), then the least busy; never on a
// number at its limit; and waits when every number is.
func TestCallerIDChoice(t *testing.T) {
	t.Parallel()
	const in, usSF, usNY, uk = "+919800000001", "+14155550100", "+12125550100", "+442071234567"
	tests := []struct {
		name string
		live map[string]int
		to   string
		want string
	}{
		{"an Indian contact: the Indian number", nil, "+919812345678", in},
		{"a San Francisco contact: the 415 number over the 212 one", nil, "+14155559999", usSF},
		{"a New York contact: the 212 number", nil, "+12125559999", usNY},
		{"the local number at its limit: the least busy other", map[string]int{in: 2, usSF: 1, usNY: 1}, "+919812345678", uk},
		{"an Australian contact: the least busy", map[string]int{in: 1, usSF: 1, usNY: 0, uk: 1}, "+61212345678", usNY},
	}
	for _, tt := range tests {
		p := newCallerIDs([]string{in, usSF, usNY, uk}, 2)
		for n, k := range tt.live {
			for range k {
				p.hold(n)
			}
		}
		got, err := p.acquire(t.Context(), tt.to, "")
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	full := newCallerIDs([]string{in}, 1)
	full.hold(in)
	done := make(chan string)
	go func() { n, _ := full.acquire(t.Context(), "+919812345678", ""); done <- n }()
	select {
	case n := <-done:
		t.Fatalf("acquired %q while every number was at its limit", n)
	case <-time.After(20 * time.Millisecond):
	}
	full.release(in)
	if n := <-done; n != in {
		t.Errorf("after a release: %q", n)
	}
}

// TestShareOfLimits: N shards started together take, between them, the run's share of each of
// Bolna's per-minute limits, split as the concurrency is (the remainder to the first shards).
func TestShareOfLimits(t *testing.T) {
	t.Parallel()
	if got := ShareOfLimits(0.5, Shard{}); got != (dialer.Limits{Call: 250, List: 250, Other: 500}) {
		t.Errorf("one run: %+v", got)
	}
	var sum dialer.Limits
	for k, want := range []int{84, 83, 83} {
		got := ShareOfLimits(0.5, Shard{K: k, N: 3})
		if got.Call != want {
			t.Errorf("shard %d of 3: %+v, want %d calls a minute", k, got, want)
		}
		sum.Call, sum.List, sum.Other = sum.Call+got.Call, sum.List+got.List, sum.Other+got.Other
	}
	if sum != (dialer.Limits{Call: 250, List: 250, Other: 500}) {
		t.Errorf("three shards take %+v between them, want the share of one run", sum)
	}
}
