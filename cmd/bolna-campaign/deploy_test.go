package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/bolna-campaign/bolna-campaign/dialer/bolnatest"
)

// TestCrontabLogsExitCode runs the sample crontab's command as cron would (its \% unescaped),
// under bash and dash, with the tool replaced by a stub that exits 3: the log must say exit 3,
// not the exit code of date.
func TestCrontabLogsExitCode(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../samples/crontab")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for l := range strings.SplitSeq(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			line = l
		}
	}
	fields := strings.Fields(line)
	if len(fields) < 6 {
		t.Fatalf("no crontab entry in %q", b)
	}
	command := strings.Join(fields[5:], " ")
	command = strings.ReplaceAll(command, `\%`, "%") // cron's own unescaping
	for _, shell := range []string{"bash", "dash"} {
		if _, err := exec.LookPath(shell); err != nil {
			t.Logf("no %s here", shell)
			continue
		}
		dir := t.TempDir()
		stub := filepath.Join(dir, "bolna-campaign")
		os.WriteFile(stub, []byte("#!/bin/sh\necho 'rows left for a later run'\nexit 3\n"), 0o700)
		os.WriteFile(filepath.Join(dir, "env"), []byte("BOLNA_AGENT_ID=a\n"), 0o600)
		cmd := strings.NewReplacer("/etc/bolna-campaign.env", filepath.Join(dir, "env"), "/srv/campaigns", dir,
			"/usr/local/bin/bolna-campaign", stub, "/var/log/bolna-campaign", dir).Replace(command)
		if out, err := exec.Command(shell, "-c", cmd).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", shell, err, out)
		}
		log, _ := os.ReadFile(filepath.Join(dir, "reminders.log"))
		lines := strings.Split(strings.TrimSpace(string(log)), "\n")
		if last := lines[len(lines)-1]; !strings.HasSuffix(last, " exit 3") {
			t.Errorf("%s: the log ends %q, want the run's exit 3", shell, last)
		}
	}
}

// k8s is the part of a Kubernetes object the sample's test reads.
type k8s struct {
	Kind string `yaml:"kind"`
	Spec struct {
		AccessModes       []string `yaml:"accessModes"`
		TimeZone          string   `yaml:"timeZone"`
		ConcurrencyPolicy string   `yaml:"concurrencyPolicy"`
		JobTemplate       struct {
			Spec struct {
				CompletionMode       string `yaml:"completionMode"`
				Completions          int    `yaml:"completions"`
				BackoffLimit         *int   `yaml:"backoffLimit"`
				BackoffLimitPerIndex *int   `yaml:"backoffLimitPerIndex"`
				Template             struct {
					Spec struct {
						SecurityContext struct {
							RunAsNonRoot bool `yaml:"runAsNonRoot"`
							FSGroup      int  `yaml:"fsGroup"`
						} `yaml:"securityContext"`
						Containers []struct {
							Image   string   `yaml:"image"`
							Command []string `yaml:"command"`
							Args    []string `yaml:"args"`
							Env     []envVar `yaml:"env"`
						} `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

// envVar is a container's environment variable: a value, or a key of a Secret.
type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom struct {
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

// fromSecret reports whether env sets name from a Secret's key, and not in the manifest.
func fromSecret(env []envVar, name string) bool {
	for _, e := range env {
		if e.Name == name {
			ref := e.ValueFrom.SecretKeyRef
			return e.Value == "" && ref != nil && ref.Name != "" && ref.Key != ""
		}
	}
	return false
}

// readJob parses samples/campaign-job.yaml: its claim and its CronJob.
func readJob(t *testing.T) (claim, cron k8s) {
	t.Helper()
	f, err := os.Open("../../samples/campaign-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	for {
		var doc k8s
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("campaign-job.yaml: %v", err)
		}
		switch doc.Kind {
		case "PersistentVolumeClaim":
			claim = doc
		case "CronJob":
			cron = doc
		}
	}
	return claim, cron
}

// TestDeploymentSamples: the Kubernetes sample works as written (its results directory made,
// a time zone, a volume four pods can share, shards that fail alone, a non-root user, an image
// with a recipe), and the Dockerfile builds a static binary on a minimal base with CA
// certificates, run as a user that is not root.
func TestDeploymentSamples(t *testing.T) {
	t.Parallel()
	claim, cron := readJob(t)
	job := cron.Spec.JobTemplate.Spec
	pod := job.Template.Spec
	checks := []struct {
		what string
		ok   bool
	}{
		{"a ReadWriteMany claim for four pods", slices.Contains(claim.Spec.AccessModes, "ReadWriteMany")},
		{"the CronJob's timeZone", cron.Spec.TimeZone != ""},
		{"concurrencyPolicy Forbid", cron.Spec.ConcurrencyPolicy == "Forbid"},
		{"an Indexed job", job.CompletionMode == "Indexed" && job.Completions > 1},
		{"backoffLimitPerIndex, not backoffLimit", job.BackoffLimitPerIndex != nil && job.BackoffLimit == nil},
		{"runAsNonRoot with an fsGroup", pod.SecurityContext.RunAsNonRoot && pod.SecurityContext.FSGroup != 0},
		{"one container with a shell command", len(pod.Containers) == 1 && len(pod.Containers[0].Args) == 1},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("campaign-job.yaml: no %s", c.what)
		}
	}
	if len(pod.Containers) == 1 {
		c := pod.Containers[0]
		if strings.HasSuffix(c.Image, ":latest") || strings.Contains(c.Image, "ghcr.io/example") {
			t.Errorf("image %q: name the image built from the Dockerfile", c.Image)
		}
		if len(c.Args) == 1 && !strings.Contains(c.Args[0], "mkdir -p /data/results") {
			t.Errorf("nothing makes /data/results: %q", c.Args[0])
		}
		// The shards share one PostgreSQL history; its DSN holds a password, as the key is a secret.
		for _, name := range []string{"BOLNA_API_KEY", "BOLNA_HISTORY"} {
			if !fromSecret(c.Env, name) {
				t.Errorf("campaign-job.yaml: %s is not taken from a Secret (valueFrom.secretKeyRef)", name)
			}
		}
	}
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	docker := string(b)
	var final, user string
	for line := range strings.SplitSeq(docker, "\n") {
		switch f := strings.Fields(line); {
		case len(f) >= 2 && f[0] == "FROM":
			final = f[1]
		case len(f) >= 2 && f[0] == "USER":
			user = f[1]
		}
	}
	if !strings.Contains(docker, "CGO_ENABLED=0") || !strings.Contains(docker, "ca-certificates") ||
		!strings.HasPrefix(final, "alpine") && !strings.Contains(final, "distroless") {
		t.Errorf("Dockerfile: want a static build (CGO_ENABLED=0) on a minimal base with CA certificates; final base %q", final)
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("Dockerfile: USER %q, want a user that is not root", user)
	}
}

// TestCampaignJobLocally renders the Kubernetes sample's command for each completion index and
// runs the four shards at once against a stand-in Bolna on loopback, as the Job would run its
// pods (/data a folder, the binary built from this tree; the calling window left out so that
// the test does not depend on the hour, the polls made faster): every contact is dialled once,
// every pod exits 0, and the account is never over its concurrency. The pods share one history
// as the Secret's DSN makes them: a database of a throwaway PostgreSQL when it is installed (a
// SQLite file when it is not). scripts/job-locally.sh runs it.
func TestCampaignJobLocally(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	_, cron := readJob(t)
	job := cron.Spec.JobTemplate.Spec
	if len(job.Template.Spec.Containers) != 1 || len(job.Template.Spec.Containers[0].Args) != 1 {
		t.Fatal("campaign-job.yaml: want one container with one shell command")
	}
	c := job.Template.Spec.Containers[0]
	bin := testBinary(t)
	srv := bolnatest.NewServer(bolnatest.Options{Concurrency: 10, Timing: bolnatest.FastTiming})
	t.Cleanup(srv.Close)
	data := t.TempDir()
	input, phones := writeContacts(t, 60)
	b, _ := os.ReadFile(input)
	os.WriteFile(filepath.Join(data, "reminders.csv"), b, 0o600)
	script := strings.NewReplacer("/data", data, "bolna-campaign run", bin+" run --poll-interval 50ms --list-lag 300ms",
		"--window 09:00-21:00", "", ":9090", "127.0.0.1:0").Replace(c.Args[0]) // four pods on one host: a port each
	errs := make(chan error, job.Completions)
	dsn := filepath.Join(t.TempDir(), "history.db") // BOLNA_HISTORY, from the Secret
	if pgCluster.Installed() {
		dsn = pgCluster.Database(t)
	}
	for k := range job.Completions {
		go func() {
			cmd := exec.Command(c.Command[0], append(c.Command[1:], script)...)
			cmd.Env = append(os.Environ(), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", k), "BOLNA_API_KEY="+bolnatest.DefaultAPIKey,
				"BOLNA_BASE_URL="+srv.URL, "BOLNA_AGENT_ID="+bolnatest.DefaultAgentID, "BOLNA_HISTORY="+dsn,
				"BOLNA_STATUS_TOKEN=pod-status-token-0123")
			out, err := cmd.CombinedOutput()
			if err != nil {
				err = fmt.Errorf("pod %d: %v\n%s", k, err, out)
			}
			errs <- err
		}()
	}
	for range job.Completions {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	checkDialledOnce(t, srv, phones)
	if st := srv.Stats(); st.MaxOutstanding > 10 {
		t.Errorf("%d calls outstanding at once, above the account's 10", st.MaxOutstanding)
	}
	files, _ := filepath.Glob(filepath.Join(data, "results", "*.results.csv"))
	if len(files) != job.Completions {
		t.Errorf("results files %v, want one per shard", files)
	}
}
