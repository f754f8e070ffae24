package bolnasim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnasim"
)

// TestHugeBody: a HugeBody reply is the whole reply with a padding field first, of 17 MiB by
// default (more than a client reads whole) or of Faults.HugeBodySize bytes.
func TestHugeBody(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		size int // Faults.HugeBodySize
		want int // the padding's length
	}{
		{0, 17 << 20},
		{3000, 3000},
		{(1 << 20) + 5, (1 << 20) + 5},
	} {
		api := bolnasim.NewAPI(bolnasim.Options{Faults: bolnasim.Faults{HugeBodySize: tt.size,
			Hook: func(*http.Request) bolnasim.Fault { return bolnasim.HugeBody }}})
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/user/me", nil)
		r.Header.Set("Authorization", "Bearer "+api.Key())
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		var reply struct {
			Padding     string `json:"padding"`
			Concurrency *struct {
				Max int `json:"max"`
			} `json:"concurrency"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &reply); err != nil || w.Code != http.StatusOK {
			t.Fatalf("size %d: status %d, %v", tt.size, w.Code, err)
		}
		if len(reply.Padding) != tt.want || reply.Concurrency == nil {
			t.Errorf("size %d: padding of %d bytes, concurrency %v; want %d bytes and the reply whole", tt.size, len(reply.Padding), reply.Concurrency, tt.want)
		}
		if tt.size == 0 && w.Body.Len() <= dialer.MaxBodySize {
			t.Errorf("the default huge body is %d bytes: not more than a client reads whole (%d)", w.Body.Len(), dialer.MaxBodySize)
		}
	}
}
