package webhook_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
	"github.com/bolna-campaign/bolna-campaign/dialer/webhook"
)

const token = "0123456789abcdef-token"

const push = `{"id":"e-1","agent_id":"a","status":"completed","total_cost":6.5,"context_details":{"recipient_phone_number":"+911"},"telephony_data":{"recording_url":"https://x"}}`

// serve runs a receiver on loopback with its own server's timeouts.
func serve(t *testing.T, cfg webhook.Config) (*webhook.Receiver, string) {
	t.Helper()
	r, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := r.Server()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r, "http://" + ln.Addr().String()
}

func TestReceiver(t *testing.T) {
	t.Parallel()
	var got []*dialer.Execution
	var mu sync.Mutex
	r, base := serve(t, webhook.Config{Token: token, Handle: func(ex *dialer.Execution) {
		mu.Lock()
		got = append(got, ex)
		mu.Unlock()
	}})
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		want   int
	}{
		{"a push", http.MethodPost, "/webhook/" + token, push, 200},
		{"a wrong token", http.MethodPost, "/webhook/0123456789abcdef-tokeN", push, 404},
		{"no token", http.MethodPost, "/webhook/", push, 404},
		{"another path", http.MethodPost, "/", push, 404},
		{"a GET", http.MethodGet, "/webhook/" + token, "", 404},
		{"malformed JSON", http.MethodPost, "/webhook/" + token, `{"id":`, 400},
		{"not an execution", http.MethodPost, "/webhook/" + token, `[1,2]`, 400},
		{"2 MiB", http.MethodPost, "/webhook/" + token, `{"id":"x","transcript":"` + strings.Repeat("a", 2<<20) + `"}`, 413},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	st := r.Stats()
	if st.Received != 1 || st.NotFound != 4 || st.Malformed != 2 || st.TooLarge != 1 {
		t.Errorf("stats %+v, want 1 received, 4 not found, 2 malformed, 1 too large", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].ID != "e-1" || !got[0].Complete() || got[0].TotalCost != 6.5 {
		t.Errorf("handed on %+v, want the one push, whole", got)
	}
	if _, err := webhook.New(webhook.Config{Token: "short", Handle: func(*dialer.Execution) {}}); err == nil {
		t.Error("New() with a 5-character token: no error")
	}
}

// TestReceiverSlowClient: a client that sends its request a byte at a time, or never finishes
// it, holds neither the receiver nor the other pushes up.
func TestReceiverSlowClient(t *testing.T) {
	t.Parallel()
	var handled atomic.Int32
	_, base := serve(t, webhook.Config{Token: token, Handle: func(*dialer.Execution) { handled.Add(1) }})
	for range 20 { // slow clients that never finish their request
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /webhook/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"id\":", token)
	}
	start := time.Now()
	resp, err := http.Post(base+"/webhook/"+token, "application/json", strings.NewReader(push))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || handled.Load() != 1 || time.Since(start) > 2*time.Second {
		t.Errorf("a push beside 20 stalled clients: %d after %s, handled %d; want 200 at once", resp.StatusCode, time.Since(start), handled.Load())
	}
}

// TestReceiverForward: every push is relayed unchanged; a relay target that fails is tried a
// bounded number of times and never delays the answer to Bolna.
func TestReceiverForward(t *testing.T) {
	t.Parallel()
	var bodies [][]byte
	var mu sync.Mutex
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	t.Cleanup(crm.Close)
	r, base := serve(t, webhook.Config{Token: token, Forward: crm.URL + "/hooks?secret=x", Handle: func(*dialer.Execution) {}})
	for range 3 {
		resp, err := http.Post(base+"/webhook/"+token, "application/json", strings.NewReader(push))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.Stats().Forwarded < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // the relay is asynchronous: wait for its count
	}
	mu.Lock()
	if len(bodies) != 3 || !bytes.Equal(bodies[0], []byte(push)) {
		t.Errorf("relayed %d bodies, first %q; want 3, unchanged", len(bodies), bodies)
	}
	mu.Unlock()

	var tries atomic.Int32
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(down.Close)
	logged, logger := bolnatest.NewLog()
	r2, base2 := serve(t, webhook.Config{Token: token, Forward: down.URL, Handle: func(*dialer.Execution) {},
		Logger: logger})
	start := time.Now()
	resp, err := http.Post(base2+"/webhook/"+token, "application/json", strings.NewReader(push))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || time.Since(start) > time.Second {
		t.Errorf("answer with a failing relay: %d after %s, want 200 at once", resp.StatusCode, time.Since(start))
	}
	deadline = time.Now().Add(15 * time.Second)
	for r2.Stats().ForwardFailed < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if tries.Load() != 4 || logged.Count("") != 1 {
		t.Errorf("a failing relay was tried %d times and logged %d times, want 4 and 1", tries.Load(), logged.Count(""))
	}
	if _, err := webhook.New(webhook.Config{Token: token, Forward: "http://crm.example.com/hook", Handle: func(*dialer.Execution) {}}); err == nil {
		t.Error("a plain-http relay to a remote host was accepted: pushes hold personal data")
	}
}

// TestReceiverForwardLoops: a forward URL that reaches the receiver's own listener is refused
// (every push would come back for ever); a push relayed once already (a loop through a proxy)
// is dropped, counted, and not handed on again.
func TestReceiverForwardLoops(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	all, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	allPort := all.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name    string
		listen  net.Addr
		forward string
		refused bool
	}{
		{"its own address", ln.Addr(), fmt.Sprintf("http://127.0.0.1:%d/webhook/%s", port, token), true},
		{"localhost, another path", ln.Addr(), fmt.Sprintf("http://localhost:%d/hooks", port), true},
		{"listening on all addresses", all.Addr(), fmt.Sprintf("http://127.0.0.1:%d/webhook/%s", allPort, token), true},
		{"another port", ln.Addr(), fmt.Sprintf("http://127.0.0.1:%d/hooks", port+1), false},
	}
	for _, tt := range tests {
		_, err := webhook.New(webhook.Config{Token: token, Forward: tt.forward, Listen: tt.listen, Handle: func(*dialer.Execution) {}})
		if (err != nil) != tt.refused {
			t.Errorf("%s: New() error = %v, want refused %v", tt.name, err, tt.refused)
		}
	}

	// A loop through a proxy: the relay's target sends every push back to the receiver.
	var handled atomic.Int32
	var back string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequest(http.MethodPost, back, r.Body)
		for k, v := range r.Header {
			req.Header[k] = v
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}))
	t.Cleanup(proxy.Close)
	r, base := serve(t, webhook.Config{Token: token, Forward: proxy.URL, Handle: func(*dialer.Execution) { handled.Add(1) }})
	back = base + "/webhook/" + token
	for range 3 {
		resp, err := http.Post(back, "application/json", strings.NewReader(push))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.Stats().Looped < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if st := r.Stats(); st.Looped != 3 || st.Received != 3 || handled.Load() != 3 {
		t.Errorf("3 pushes through a looping proxy: %+v, handled %d; want 3 received and handled, 3 looped and dropped", st, handled.Load())
	}
}

// TestReceiverRelayBounds: pushes waiting for a forward target that hangs are bounded by
// bytes, not only by count; when the receiver closes, what is queued is relayed for a bounded
// time, and every push is accounted for (relayed, failed or dropped), and said.
func TestReceiverRelayBounds(t *testing.T) {
	t.Parallel()
	big := `{"id":"e-1","status":"completed","summary":"` + strings.Repeat("x", 900<<10) + `"}`
	t.Run("a hanging target", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(hang.Close)
		t.Cleanup(func() { close(release) })
		logged, logger := bolnatest.NewLog()
		r, base := serve(t, webhook.Config{Token: token, Forward: hang.URL, MaxQueueBytes: 4 << 20, Drain: 300 * time.Millisecond,
			Handle: func(*dialer.Execution) {}, Logger: logger})
		for range 20 {
			resp, err := http.Post(base+"/webhook/"+token, "application/json", strings.NewReader(big))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		if st := r.Stats(); st.ForwardDropped < 14 {
			t.Errorf("20 pushes of 900 KB behind a hanging target with 4 MiB to queue: %d dropped, want at least 14", st.ForwardDropped)
		}
		start := time.Now()
		r.Close()
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Close took %s with a hanging target, want about the drain time", took)
		}
		st := r.Stats()
		if st.Forwarded+st.ForwardFailed+st.ForwardDropped != st.Received || logged.Count("") == 0 {
			t.Errorf("after Close: %+v, %d lines logged; want every received push accounted for, and said", st, logged.Count(""))
		}
	})
	t.Run("a slow target", func(t *testing.T) {
		t.Parallel()
		var got atomic.Int32
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(20 * time.Millisecond)
			got.Add(1)
		}))
		t.Cleanup(slow.Close)
		r, base := serve(t, webhook.Config{Token: token, Forward: slow.URL, Handle: func(*dialer.Execution) {}})
		for range 20 {
			resp, err := http.Post(base+"/webhook/"+token, "application/json", strings.NewReader(push))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		r.Close() // at once: what is queued is still relayed
		if st := r.Stats(); st.Forwarded != 20 || got.Load() != 20 {
			t.Errorf("after Close: %+v, target got %d; want all 20 relayed", st, got.Load())
		}
	})
}
