package bolnasim

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// API is the fake Bolna API as an http.Handler. Serve it on any listener (the command's `sim`
// does), in process with [API.InProcessClient] (`run --sandbox` does), or on loopback in tests
// with dialer/bolnatest. It is safe for concurrent use.
type API struct {
	opts *Options
	mux  *http.ServeMux

	mu         sync.Mutex
	sim        *sim
	base       string
	placements []Placement
	stats      Stats
	windows    map[string][]time.Time // accepted requests in the last minute, per limit class
	sent       map[string][]time.Time // every request in the last minute, per limit class
	push       *pusher                // nil without Options.Webhook
}

// Placement is one call the fake created, as POST /call asked for it.
type Placement struct {
	ExecutionID string
	AgentID     string // the agent the call was placed through
	Phone       string
	From        string
	UserData    map[string]string
	At          time.Time
}

// Stats counts what the fake saw and did.
type Stats struct {
	Requests       int            // every request, refused ones included
	ByRoute        map[string]int // "POST /call", "GET /executions/{id}", ...
	TooMany        int            // 429s sent (limits and faults)
	Faults         int            // faults injected
	Placed         int            // calls created
	MaxActive      int            // most calls holding a concurrency slot at once
	MaxOutstanding int            // most calls queued or holding a slot at once
	// MaxOutstandingByFrom is MaxOutstanding for each caller id (from_phone_number).
	MaxOutstandingByFrom map[string]int
	MaxUnfinished        int // most calls created and not final at once (post-processing included)
	// SlotBusy is the total time calls held a slot; divided by the concurrency and the
	// campaign's makespan it is the account's utilisation.
	SlotBusy time.Duration
	// Busy is the account's busy period: from the first call taking a slot to the last slot
	// given back.
	Busy time.Duration
	// Bound is the makespan the concurrency allows for these calls: that of a runner that
	// sees every line drop the instant it happens, dialling the same calls in the same order,
	// each onto the first slot to free. Bound / Busy is how close a runner came to it.
	Bound time.Duration
	// ListsByStatus counts the list requests that filtered on a status.
	ListsByStatus int
	// PeakPerMinute is the most requests of each limit class ("call": POST /call, "list": the
	// executions list and the agent read, "other") in any 60 seconds, refused ones included.
	PeakPerMinute map[string]int
	// ServeCPU is the CPU time spent serving requests in process (see API.InProcessClient),
	// where the platform can tell (Linux); the rest of a process's CPU is its client's.
	ServeCPU time.Duration
	// SteadyUtilisation is the share of slot time used from the first call taking a slot to
	// the last one doing so, while a runner still had calls to place: every idle slot there
	// is the runner's doing.
	SteadyUtilisation float64
}

// BoundUtilisation is Bound / Busy: 1 means the runner lost no time between a line dropping
// and the next call taking its slot.
func (s Stats) BoundUtilisation() float64 {
	if s.Busy <= 0 {
		return 0
	}
	return s.Bound.Seconds() / s.Busy.Seconds()
}

// Utilisation is the share of the account's slot time used during its busy period:
// SlotBusy / (concurrency × Busy). 1 means every slot was busy from the first call to the last.
func (s Stats) Utilisation(concurrency int) float64 {
	if s.Busy <= 0 || concurrency <= 0 {
		return 0
	}
	return s.SlotBusy.Seconds() / (float64(concurrency) * s.Busy.Seconds())
}

// NewAPI returns a fake Bolna API.
func NewAPI(opts Options) *API {
	opts.setDefaults()
	a := &API{opts: &opts, windows: map[string][]time.Time{}, sent: map[string][]time.Time{}}
	a.sim = newSim(a.opts)
	a.stats.ByRoute = map[string]int{}
	a.stats.PeakPerMinute = map[string]int{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /user/me", a.userMe)
	mux.HandleFunc("POST /call", a.placeCall)
	mux.HandleFunc("POST /call/{id}/stop", a.stopCall)
	mux.HandleFunc("GET /executions/{id}", a.getExecution)
	mux.HandleFunc("GET /v2/agent/{agent}/executions", a.listExecutions)
	mux.HandleFunc("GET /v2/agent/{agent}", a.getAgent)
	mux.HandleFunc("POST /v2/agent/{agent}/stop", a.stopAgent)
	mux.HandleFunc("GET /recordings/call/{id}", a.recording)
	a.mux = mux
	if a.opts.Webhook != nil {
		a.startPushing(*a.opts.Webhook)
	}
	return a
}

// SetBaseURL tells the fake its own address, used in recording URLs.
func (a *API) SetBaseURL(u string) {
	a.mu.Lock()
	a.base = strings.TrimRight(u, "/")
	a.mu.Unlock()
}

func (a *API) baseURL() string {
	if a.base == "" {
		return "https://api.bolna.ai"
	}
	return a.base
}

// SetFaults replaces the injected faults; tests turn faults on and off mid-run with it.
func (a *API) SetFaults(f Faults) {
	a.mu.Lock()
	a.opts.Faults = f
	a.mu.Unlock()
}

// Placements returns every call the fake created, in order.
func (a *API) Placements() []Placement {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.placements)
}

// Stats returns the counters as of now.
func (a *API) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sim.advance(a.opts.Now())
	s := a.stats
	s.ByRoute = maps.Clone(a.stats.ByRoute)
	s.PeakPerMinute = maps.Clone(a.stats.PeakPerMinute)
	s.MaxActive, s.MaxOutstanding, s.MaxUnfinished = a.sim.maxSlotsUsed, a.sim.maxOutstanding, a.sim.maxUnfinished
	s.MaxOutstandingByFrom = maps.Clone(a.sim.maxByFrom)
	s.SlotBusy = a.sim.slotBusy
	s.Busy = a.sim.lastRelease.Sub(a.sim.firstSlot)
	s.SteadyUtilisation = a.sim.steadyUtilisation(a.opts.Now())
	s.Bound = a.sim.bound(a.opts.Now())
	for _, ex := range a.sim.ordered { // slots still held count up to now
		if ex.holdsSlot {
			s.SlotBusy += a.opts.Now().Sub(ex.slotAt)
		}
	}
	return s
}

// Call is the state of one call as the fake knows it.
type Call struct {
	ID        string
	Phone     string
	Status    string
	UserData  map[string]string
	CreatedAt time.Time
	FinalAt   time.Time
	Cost      float64
	// What the simulation decided for the person: a voicemail answered, or the call was
	// rejected at once (completed with no conversation).
	Voicemail, Rejected bool
}

// Calls returns every call in creation order, advanced to now.
func (a *API) Calls() []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sim.advance(a.opts.Now())
	calls := make([]Call, 0, len(a.sim.ordered))
	for _, ex := range a.sim.ordered {
		calls = append(calls, Call{
			ID: ex.id, Phone: ex.phone, Status: string(ex.status), UserData: textMap(ex.userData),
			CreatedAt: ex.createdAt, FinalAt: ex.finalAt, Cost: ex.cost,
			Voicemail: ex.outcome.Voicemail, Rejected: ex.outcome.Talk < 0,
		})
	}
	return calls
}

// ServeHTTP authenticates, applies limits and faults, and serves the route.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := a.mux.Handler(r)
	a.mu.Lock()
	a.stats.Requests++
	a.stats.ByRoute[pattern]++
	if pattern != "" {
		class := limitClass(pattern)
		now := time.Now() // limits are per real minute, whatever the simulated clock
		a.sent[class] = append(inLastMinute(a.sent[class], now), now)
		a.stats.PeakPerMinute[class] = max(a.stats.PeakPerMinute[class], len(a.sent[class]))
	}
	a.mu.Unlock()

	// Date by the simulated clock, as a server stamps its replies by its own: a runner bounds
	// Bolna's clock by it (the simulated clock may be set apart from the runner's, and the
	// Date header's from created_at: Style.DateSkew).
	w.Header().Set("Date", a.opts.Now().Add(a.opts.Style.DateSkew).UTC().Format(http.TimeFormat))
	if pattern == "" {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": 404, "message": "resource doesn't exist or belongs to another account"})
		return
	}
	if !a.authenticate(w, r) {
		return
	}
	if a.overLimit(w, r, pattern) {
		return
	}
	switch fault := a.fault(r, pattern); fault {
	case TooMany:
		a.tooMany(w, a.opts.Faults.PlaceRetryAfter)
		return
	case Unavailable:
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"message": "Service temporarily unavailable"})
		return
	case HTMLError:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>")
		return
	case Revoked:
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "Unrecognized access token"})
		return
	case TruncatedJSON, WrongTypes, UnknownStatus, SlowTrickle, HugeBody:
		a.mangle(w, r, fault)
		return
	case LoseReply, ResetReply:
		a.mux.ServeHTTP(newRecorder(), r) // the request takes effect...
		if fault == ResetReply {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close() // ...and the reply never arrives
					return
				}
			}
		}
		writeJSON(w, http.StatusBadGateway, map[string]any{"message": "Bad Gateway"})
		return
	}
	a.mux.ServeHTTP(w, r)
}

func (a *API) authenticate(w http.ResponseWriter, r *http.Request) bool {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && key == a.opts.APIKey {
		return true
	}
	if ok && slices.Contains(a.opts.ForbiddenKeys, key) {
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "You do not have permission to perform this action"})
		return false
	}
	if a.opts.Style.AuthDocs {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": 401, "message": "Access denied"})
	} else {
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "Unrecognized access token"})
	}
	return false
}

// limitClass is the class of Bolna's per-minute limits a route counts in.
func limitClass(pattern string) string {
	switch pattern {
	case "POST /call":
		return "call"
	case "GET /v2/agent/{agent}/executions", "GET /v2/agent/{agent}":
		return "list"
	}
	return "other"
}

// inLastMinute drops the times of win more than a minute before now.
func inLastMinute(win []time.Time, now time.Time) []time.Time {
	cut := 0
	for cut < len(win) && now.Sub(win[cut]) >= time.Minute {
		cut++
	}
	if cut > len(win)/2 { // copy down now and then, so the window's array does not grow for ever
		return append(win[:0], win[cut:]...)
	}
	return win[cut:]
}

// overLimit applies the per-minute limits with a sliding one-minute window.
func (a *API) overLimit(w http.ResponseWriter, r *http.Request, pattern string) bool {
	class := limitClass(pattern)
	limit := a.opts.Limits.OtherPerMinute
	switch class {
	case "call":
		limit = a.opts.Limits.CallPerMinute
	case "list":
		limit = a.opts.Limits.ListPerMinute
	}
	if limit <= 0 {
		return false
	}
	now := time.Now() // request limits are per real minute, whatever the simulated clock
	a.mu.Lock()
	win := inLastMinute(a.windows[class], now)
	over := len(win) >= limit
	if !over {
		win = append(win, now)
	}
	a.windows[class] = win
	a.mu.Unlock()
	if over {
		a.tooMany(w, a.opts.Limits.RetryAfter)
	}
	return over
}

func (a *API) fault(r *http.Request, pattern string) Fault {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.opts.Faults
	fault := NoFault
	if f.Hook != nil {
		fault = f.Hook(r)
	}
	if fault == NoFault {
		p := a.sim.rng.Float64()
		switch {
		case pattern == "POST /call" && p < f.PlaceTooMany:
			fault = TooMany
		case pattern == "POST /call" && p < f.PlaceTooMany+f.PlaceLost:
			fault = LoseReply
			if a.sim.rng.IntN(2) == 0 {
				fault = ResetReply
			}
		case r.Method == http.MethodGet && p < f.ReadTooMany:
			fault = TooMany
		case r.Method == http.MethodGet && p < f.ReadTooMany+f.ReadUnavailable:
			fault = Unavailable
		case r.Method == http.MethodGet && p < f.ReadTooMany+f.ReadUnavailable+f.ReadFaultRate:
			fault = f.ReadFault
		}
	}
	if fault != NoFault {
		a.stats.Faults++
	}
	return fault
}

func (a *API) tooMany(w http.ResponseWriter, retryAfter time.Duration) {
	a.mu.Lock()
	a.stats.TooMany++
	a.mu.Unlock()
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": 429, "message": "rate limit exceeded"})
}

func (a *API) userMe(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.sim.advance(a.opts.Now())
	body := map[string]any{
		"id": "c4f1d7a2-8f0e-4c57-9a51-5b7a3e2d9f10", "name": "Sandbox Account", "email": "sandbox@example.com",
		"wallet":      round2(a.sim.wallet), // cents: the balance ×100, as the live API reports it
		"concurrency": map[string]any{"max": a.opts.Concurrency, "current": a.sim.currentActive()},
	}
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

var e164 = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)

func (a *API) placeCall(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AgentID   string                     `json:"agent_id"`
		Recipient string                     `json:"recipient_phone_number"`
		From      string                     `json:"from_phone_number"`
		UserData  map[string]json.RawMessage `json:"user_data"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1000, "message": "invalid JSON body"})
		return
	}
	switch {
	case req.AgentID == "":
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1001, "message": "agent_id is required"})
		return
	case !e164.MatchString(req.Recipient):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1002, "message": "recipient_phone_number is required"})
		return
	case !slices.Contains(a.opts.AgentIDs, req.AgentID):
		writeJSON(w, http.StatusNotFound, map[string]any{"error": 404, "message": "resource doesn't exist or belongs to another account"})
		return
	case req.From != "" && len(a.opts.OwnedNumbers) > 0 && !slices.Contains(a.opts.OwnedNumbers, req.From):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1003, "message": "from_phone_number not owned by account"})
		return
	}
	a.mu.Lock()
	now := a.opts.Now()
	ex := a.sim.create(now, req.AgentID, req.Recipient, req.From, req.UserData)
	a.placements = append(a.placements, Placement{
		ExecutionID: ex.id, AgentID: req.AgentID, Phone: req.Recipient, From: req.From, UserData: textMap(req.UserData), At: now,
	})
	if limit := a.opts.MaxRetained; limit > 0 && len(a.placements) > 2*limit {
		a.placements = append([]Placement(nil), a.placements[len(a.placements)-limit:]...)
	}
	a.stats.Placed++
	a.mu.Unlock()
	a.kickClock()
	writeJSON(w, http.StatusOK, map[string]any{"message": "done", "status": "queued", "execution_id": ex.id})
}

func (a *API) lookup(id string) *execution {
	ex := a.sim.byID[id]
	if ex == nil || !slices.Contains(a.opts.AgentIDs, ex.agentID) {
		return nil
	}
	return ex
}

func (a *API) getExecution(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.sim.advance(a.opts.Now())
	ex := a.lookup(r.PathValue("id"))
	var body map[string]any
	if ex != nil {
		body = a.payload(ex)
	}
	a.mu.Unlock()
	if ex == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": 404, "message": "execution not found"})
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (a *API) listExecutions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	agent := r.PathValue("agent")
	if !slices.Contains(a.opts.AgentIDs, agent) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": 404, "message": "agent not found"})
		return
	}
	from, errFrom := time.Parse(time.RFC3339Nano, q.Get("from"))
	to, errTo := time.Parse(time.RFC3339Nano, q.Get("to"))
	if errFrom != nil || errTo != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1010, "message": "from and to are required (UTC ISO-8601)"})
		return
	}
	if a.opts.Style.NoFutureTo && to.After(a.opts.Now().Add(time.Second)) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1013, "message": "to must not be in the future"})
		return
	}
	if to.Sub(from) > 7*24*time.Hour || to.Before(from) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1011, "message": "date range must be at most 7 days"})
		return
	}
	page, size := atoiDefault(q.Get("page_number"), 1), atoiDefault(q.Get("page_size"), 20)
	if page < 1 || size < 1 || size > 50 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1012, "message": "page_size must be between 1 and 50"})
		return
	}
	status := q.Get("status")
	if status != "" {
		a.mu.Lock()
		a.stats.ListsByStatus++
		a.mu.Unlock()
		if a.opts.Style.NoStatusFilter {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1014, "message": "status: unsupported filter"})
			return
		}
	}

	a.mu.Lock()
	a.sim.advance(a.opts.Now())
	start, end, total := (page-1)*size, page*size, 0
	var match []*execution                         // those of the page asked for
	for i := len(a.sim.ordered) - 1; i >= 0; i-- { // newest first
		ex := a.sim.ordered[i]
		if ex.createdAt.Before(from) {
			break // created in order: everything older is outside the window too
		}
		if ex.agentID != agent || ex.createdAt.After(to) {
			continue
		}
		if lag := a.opts.Style.ListLag; lag > 0 && a.opts.Now().Sub(ex.createdAt) < lag {
			continue
		}
		if status != "" && string(ex.status) != status {
			continue
		}
		if total >= start && total < end {
			match = append(match, ex)
		}
		total++
	}
	data := make([]map[string]any, 0, len(match))
	for _, ex := range match {
		if a.opts.Style.FullListItems {
			data = append(data, a.payload(ex))
		} else {
			data = append(data, a.trimmed(ex))
		}
	}
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"page_number": page, "page_size": size, "total": total, "has_more": end < total,
		"data": data, "filters": map[string]any{"status": nilIfEmpty(status)}, "sorts": map[string]any{"created_at": "desc"},
	})
}

// getAgent serves the agent as Bolna's live API shapes it (docs/bolna-api.md §11.1): its prompt and
// welcome message with their {variables}, and its webhook_url in agent_config.
func (a *API) getAgent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("agent")
	if !slices.Contains(a.opts.AgentIDs, id) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": 404, "message": "agent not found"})
		return
	}
	hook := a.opts.AgentWebhookURL
	if hook == "" && a.opts.Webhook != nil {
		hook = a.opts.Webhook.URL
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": id, "agent_name": "Appointment reminders", "agent_status": "processed",
		"agent_welcome_message": a.opts.WelcomeMessage,
		"agent_prompts":         map[string]any{"task_1": map[string]any{"system_prompt": a.opts.SystemPrompt}},
		"agent_config":          map[string]any{"agent_name": "Appointment reminders", "webhook_url": nilIfEmpty(hook)},
	})
}

func (a *API) stopCall(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	ex := a.lookup(r.PathValue("id"))
	var ok bool
	switch {
	case ex == nil:
	case a.opts.Faults.StopIgnored > 0 && a.sim.stoppable(a.opts.Now(), ex) && a.sim.rng.Float64() < a.opts.Faults.StopIgnored:
		ok = true // acknowledged, not carried out
		a.stats.Faults++
	default:
		ok = a.sim.stop(a.opts.Now(), ex)
	}
	a.mu.Unlock()
	switch {
	case ex == nil:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": 404, "message": "execution not found"})
	case !ok:
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1020, "message": "only queued or scheduled calls can be stopped"})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"message": "done", "status": "stopped", "execution_id": ex.id})
	}
}

func (a *API) stopAgent(w http.ResponseWriter, r *http.Request) {
	agent := r.PathValue("agent")
	a.mu.Lock()
	now := a.opts.Now()
	stopped := []string{}
	for _, ex := range a.sim.ordered {
		if ex.agentID == agent && a.sim.stop(now, ex) {
			stopped = append(stopped, ex.id)
		}
	}
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"stopped_executions": stopped})
}

func (a *API) recording(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.sim.advance(a.opts.Now())
	ex := a.lookup(r.PathValue("id"))
	done := ex != nil && ex.status == dialer.StatusCompleted
	a.mu.Unlock()
	if !done {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "recording not found"})
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Write([]byte("RIFF\x24\x00\x00\x00WAVEfmt ")) // a stub: the fake has no audio
}

// mangle serves r and sends a damaged reply: what a proxy, a bug or a bad network makes of
// Bolna's answer.
func (a *API) mangle(w http.ResponseWriter, r *http.Request, fault Fault) {
	rec := newRecorder()
	a.mux.ServeHTTP(rec, r)
	body := rec.body.Bytes()
	w.Header().Set("Content-Type", "application/json")
	switch fault {
	case TruncatedJSON:
		w.WriteHeader(rec.status())
		w.Write(body[:len(body)/2])
	case WrongTypes:
		var v struct {
			ID string `json:"id"`
		}
		json.Unmarshal(body, &v)
		writeJSON(w, http.StatusOK, map[string]any{
			"id": v.ID, "status": []dialer.Status{dialer.StatusCompleted}, "conversation_duration": map[string]any{},
			"telephony_data": "not an object", "data": "not a list", "has_more": "yes",
		})
	case UnknownStatus:
		w.WriteHeader(rec.status())
		w.Write(statusField.ReplaceAll(body, []byte(`"status":"teleported"`)))
	case SlowTrickle:
		every := a.opts.Faults.TrickleEvery
		if every <= 0 {
			every = 100 * time.Millisecond
		}
		w.WriteHeader(rec.status())
		flusher, _ := w.(http.Flusher)
		for i := 0; i < len(body); i += 8 {
			w.Write(body[i:min(i+8, len(body))])
			if flusher != nil {
				flusher.Flush()
			}
			select {
			case <-time.After(every):
			case <-r.Context().Done():
				return
			}
		}
	case HugeBody:
		w.WriteHeader(rec.status())
		w.Write([]byte(`{"padding":"`))
		pad := a.opts.Faults.HugeBodySize
		if pad <= 0 {
			pad = 17 << 20
		}
		chunk := bytes.Repeat([]byte("x"), min(pad, 1<<20))
		for left := pad; left > 0; left -= len(chunk) {
			if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
				return
			}
		}
		w.Write([]byte(`",`))
		w.Write(bytes.TrimPrefix(body, []byte("{")))
	}
}

var statusField = regexp.MustCompile(`"status":"[^"]*"`)

func writeJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

func textMap(m map[string]json.RawMessage) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, raw := range m {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out[k] = s
		} else {
			out[k] = string(raw)
		}
	}
	return out
}

func atoiDefault(s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Key is the API key the simulation accepts.
func (a *API) Key() string { return a.opts.APIKey }
