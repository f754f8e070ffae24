package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/campaign/store"
	"github.com/bolna-campaign/bolna-campaign/internal/notafile"
)

// TestFilesThatAreNotFiles: a FIFO, a directory or a symbolic link where a campaign keeps a
// file (the journal, the record of requests, the stop request, the lock, the results) stops
// run and status at once with an error naming it and saying what to do: nothing hangs, nothing
// is read without end, no run takes a directory for a stop request, and stop never writes
// through a link.
func TestFilesThatAreNotFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		command string // run, status, or stop (with a run holding the lock)
		suffix  string // after the results path
		kind    string // fifo, directory, link to /dev/zero, link to a file
		unread  bool   // the file is only never read (status asks nothing of a lock but who holds it)
	}{
		{"a FIFO at the journal", "run", ".state", "fifo", false},
		{"a FIFO at the journal, status", "status", ".state", "fifo", false},
		{"a FIFO at the record of requests", "run", ".requests", "fifo", false},
		{"a link to /dev/zero at the record of requests", "run", ".requests", "link to /dev/zero", false},
		{"a FIFO at the lock", "run", ".lock", "fifo", false},
		{name: "a FIFO at the lock, status", command: "status", suffix: ".lock", kind: "fifo", unread: true},
		{"a FIFO at the results", "run", "", "fifo", false},
		{"a FIFO at the results, status", "status", "", "fifo", false},
		{"a directory at the stop request", "run", ".stop", "directory", false},
		{"a directory at the stop request, stop", "stop", ".stop", "directory", false},
		{"a link at the stop request, stop", "stop", ".stop", "link to a file", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			input, _ := writeContacts(t, 3)
			results := strings.TrimSuffix(input, ".csv") + ".sandbox.results.csv"
			path := results + tt.suffix
			victim := notafile.Plant(t, tt.kind, path)
			args := []string{tt.command, results}
			switch tt.command {
			case "run":
				args = []string{"run", "--sandbox", "--rate", "0", input}
			case "status": // it needs a results file or a journal
				switch tt.suffix {
				case ".lock":
					st, err := journal.OpenState(store.At(results).StatePath(), journal.Owner{Agent: "a", API: "sandbox"})
					if err != nil {
						t.Fatal(err)
					}
					st.Dial("+919900000001", "+919900000001", 1, "ref", time.Now())
					st.Close()
				case ".state":
					os.WriteFile(results, nil, 0o600)
				}
			case "stop":
				lock, err := journal.AcquireLock(store.At(results).LockPath()) // a run going on
				if err != nil {
					t.Fatal(err)
				}
				defer lock.Release()
			}
			inv := newInvocation(nil)
			fired := inv.deadline(time.Minute)
			code := inv.run(args...)
			if fired() {
				t.Fatalf("%s hung: stopped by the test after a minute", tt.command)
			}
			if tt.unread {
				return
			}
			if code == exitOK || code == exitInterrupted {
				t.Errorf("%s: exit %d, want a refusal; stderr:\n%s", tt.command, code, inv.stderr.String())
			}
			if msg := inv.stderr.String(); !strings.Contains(msg, path+": it is") || !strings.Contains(msg, "not a regular file") || !strings.Contains(msg, "move it out of the way") {
				t.Errorf("%s: stderr does not name %s as no regular file, with what to do:\n%s", tt.command, path, msg)
			}
			if victim != "" {
				if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
					t.Errorf("the linked file became %q", b)
				}
			}
		})
	}
}
