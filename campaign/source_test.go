package campaign_test

import (
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// memoryList is a contact list that is no file: the runner reads it only through Open.
type memoryList struct {
	text  string
	opens atomic.Int32
}

func (*memoryList) Name() string { return "contacts (in memory)" }
func (l *memoryList) Open() (io.ReadCloser, error) {
	l.opens.Add(1)
	return io.NopCloser(strings.NewReader(l.text)), nil
}

// TestRunReadsAContactSource: the runner reads the list through the source it is given, from
// the start at each pass, never by a path: a list held in memory is dialled, each row once,
// and written back whole.
func TestRunReadsAContactSource(t *testing.T) {
	t.Parallel()
	srv := bolnatest.NewServer(bolnatest.Options{Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	list := &memoryList{text: "phone,name\n+919800000001,Asha\n+919800000002,Ravi\nnot a number,X\n"}
	cfg := baseConfig()
	st, err := journal.OpenState(filepath.Join(t.TempDir(), "journal"), journal.Owner{Agent: cfg.AgentID})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out rowStatuses
	summary, err := campaign.NewRunner(srv.Client(), cfg).Run(t.Context(), list, st, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[2] != journal.StatusInvalid || !out[0].Settled() || !out[1].Settled() || summary.Dialled != 2 {
		t.Errorf("results %v, %d dialled; want two rows settled and one invalid, 2 dialled", out, summary.Dialled)
	}
	if n := len(srv.Placements()); n != 2 {
		t.Errorf("%d calls placed, want 2 (each row once)", n)
	}
	if n := list.opens.Load(); n < 3 {
		t.Errorf("the list was opened %d times, want one a pass (plan, dial, results: 3 at least)", n)
	}
}
