package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"github.com/bolna-campaign/bolna-campaign/campaign/journal"
	"github.com/bolna-campaign/bolna-campaign/dialer"
	"github.com/bolna-campaign/bolna-campaign/human"
)

// How a campaign runs (Config, its defaults) and what the runner needs from Bolna (Dialer).

// Dialer is what the runner needs from a Bolna client; *dialer.Client satisfies it. Each
// request takes how it is sent as options (dialer.SendGate, dialer.OneTry), never from its
// context.
type Dialer interface {
	Account(ctx context.Context, opts ...dialer.RequestOption) (*dialer.Account, error)
	PlaceCall(ctx context.Context, req dialer.CallRequest, opts ...dialer.RequestOption) (*dialer.PlacedCall, error)
	Execution(ctx context.Context, id string, opts ...dialer.RequestOption) (*dialer.Execution, error)
	ListExecutions(ctx context.Context, agentID string, opts dialer.ListOptions, send ...dialer.RequestOption) (*dialer.ExecutionPage, error)
}

var _ Dialer = (*dialer.Client)(nil)

// ResultWriter receives the results file, one row per input row in input order, once the run
// is over. The results package implements it.
type ResultWriter interface {
	// Name names the results in the account's history: its path, for a file.
	Name() string
	WriteHeader(inputHeader []string) error
	WriteRow(record []string, o journal.Outcome) error
}

// Defaults of a [Config].
const (
	DefaultRate         = 5.0
	DefaultPollInterval = 3 * time.Second
	DefaultMaxWait      = 30 * time.Minute
	DefaultHaltAfter    = 10
	DefaultOutage       = 5 * time.Minute
	// DefaultListLag is how long Bolna's executions list is assumed to take, at most, to show
	// a call just created: undocumented, so generous.
	DefaultListLag = 30 * time.Second
	// DefaultSafetySweep is how often calls are looked at while Bolna pushes their statuses.
	DefaultSafetySweep = 30 * time.Second
)

// Config is how a campaign runs.
type Config struct {
	AgentID string // the agent that places the calls; with Arms, the first arm's
	// Arms, two or more, make the run an experiment: each row never dialled is dialled
	// through the agent of its arm, drawn at random and stably from Experiment and the
	// row's key by the arms' weights (experiment.Assign), and a row dialled before keeps
	// the agent the journal records for it. The arms are compared as calls finish (see
	// Runner.Experiment) on Goal (nil: a person reached).
	Arms []Arm
	Goal func(journal.Outcome) bool
	// Experiment names the draw of the arms (with each row's key); empty, the contact list's
	// file name, which every shard and rerun of a list shares.
	Experiment string
	// StopLosers stops dialling through an arm once the experiment finds it behind beyond
	// chance: its rows never dialled are drawn again among the other arms
	// (experiment.AssignActive).
	StopLosers bool
	// Stratify names a column of the list: the arms are dealt within each of its values, so
	// each value's rows split by the arms' weights to within one cycle of them (see strata),
	// stably across reruns, retries and shards.
	Stratify   string
	FromNumber string // caller id; empty lets Bolna choose
	// FromNumbers is a pool of caller ids to spread the calls over (see callerIDs), at most
	// PerNumber live calls on one (0: no limit); a row's own caller id (LoadOptions.FromColumn)
	// comes first, and counts on its number alike. With shards, PerNumber is the campaign's:
	// each shard takes its part of each number's (see CheckCallerIDs).
	FromNumbers []string
	PerNumber   int
	// AnyCallerID lets a call whose country's numbers of the pool are all at PerNumber go out
	// on another country's (--caller-id-fallback any), each time said; by default it waits
	// for one of its own.
	AnyCallerID bool
	Load        contacts.LoadOptions

	// Concurrency caps the calls in flight; 0 sizes it from the account:
	// concurrency.max - current - Reserve. It is never above concurrency.max.
	Concurrency int
	Reserve     int
	Rate        float64 // most placements in any second of the run; <= 0 is unlimited
	// Limits is the share of Bolna's request limits the run may use, in requests in any minute
	// per class (zero: dialer.DefaultLimits, half of Bolna's; a negative class is not paced).
	// Placements keep to Limits.Call (and Rate), the looks at the calls to Limits.List. Give
	// the client the same limits: it holds every request to them, retries included, so the
	// run never causes a 429.
	Limits dialer.Limits

	// PollInterval is the least time between two looks at the calls: they are looked at that
	// often while lines are likely to have dropped and the list budget (Limits.List) allows.
	PollInterval time.Duration
	MaxWait      time.Duration // a call followed this long without a final status is a timeout

	Retry []journal.Status // re-dial rows whose last attempt ended in these statuses
	// RetryResults re-dials rows whose last attempt had these results (voicemail, rejected:
	// see Result), never the others of the same status.
	RetryResults []journal.Result
	MaxAttempts  int           // attempts per row, the first included
	RetryAfter   time.Duration // the least time between an attempt's end and the next
	HaltAfter    int           // stop placing after this many failed/error outcomes in a row; <= 0 never
	Limit        int           // dial at most this many rows never dialled before, this run (a pilot); 0: all

	Window   *Window         // calling hours in each contact's local time; nil: any time
	Zones    *contacts.Zones // each contact's zone for Window; see contacts.Zones
	Suppress *Suppression    // numbers never to dial; nil for none
	MaxCost  float64         // stop placing once the campaign's summed total_cost reaches this; 0: no cap
	Shard    Shard           // the slice of the list this run takes

	// Guard is the account's history, consulted and reserved before every POST /call (see
	// Runner.guarded) under Rules; nil for none (a library user's, a test's). MaxCostPerDay
	// caps the account's spend since midnight UTC, every campaign's, from the guard (0: no
	// cap).
	Guard         Guard
	Rules         Rules
	MaxCostPerDay float64

	// Outage is how long every read of Bolna may fail before the run gives up (the calls in
	// flight stay in the journal for the next run); default DefaultOutage.
	Outage time.Duration

	// PlaceTimeout is the longest a POST /call can be in flight (the client's timeout);
	// default dialer.DefaultTimeout. ListLag is the longest Bolna's executions list takes to
	// show a new call; default DefaultListLag. Together they say how long a call whose
	// placement went unanswered is looked for before the search may conclude it does not exist.
	PlaceTimeout time.Duration
	ListLag      time.Duration

	// Pushes says Bolna pushes the calls' statuses to this run (webhooks, fed in through
	// Runner.Observe): the runner then looks at the calls holding a slot as polling would for
	// the share of dropped lines pushes miss (see pushReports). Should no push come a minute
	// after the first call ended, it says so and polls as usual.
	Pushes bool
	// SafetySweep bounds, while pushes come, how long a call not holding a slot (queued at
	// Bolna, in post-processing) waits for a look of its own, and how long a call holding one
	// may stay silent before its look is due until the calls' lengths are measured (default
	// DefaultSafetySweep).
	SafetySweep time.Duration

	Now    func() time.Time // the clock; default time.Now
	Logger *slog.Logger     // told of notable events, one sentence a message; nil discards
	// OnHalt, when set, is told at once when the run halts placing calls (balance-low,
	// --halt-after, --max-cost), in its own goroutine: the run goes on following its calls.
	OnHalt func(reason string)
}

// WithDefaults is c with every field left unset at the default a [Runner] gives it: how the
// campaign's files are read and dated when it is opened (see package store) is how the run
// reads and dates them.
func (c Config) WithDefaults() Config {
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.AgentID == "" && len(c.Arms) > 0 {
		c.AgentID = c.Arms[0].AgentID
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.MaxWait <= 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 1
		if len(c.Retry) > 0 || len(c.RetryResults) > 0 {
			c.MaxAttempts = 3
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Outage <= 0 {
		c.Outage = DefaultOutage
	}
	if c.Limits == (dialer.Limits{}) {
		c.Limits = dialer.DefaultLimits
	}
	if c.PlaceTimeout <= 0 {
		c.PlaceTimeout = dialer.DefaultTimeout
	}
	if c.SafetySweep <= 0 {
		c.SafetySweep = DefaultSafetySweep
	}
	if c.ListLag <= 0 {
		c.ListLag = DefaultListLag
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Zones == nil {
		c.Zones = &contacts.Zones{}
	}
}

// CheckCallerIDs reports a PerNumber the run cannot keep as its shard. The limit of each
// caller id is the campaign's, split between its shards one number at a time (see
// callerIDs.capOf), so a limit below the number of shards leaves some shards no part of some
// numbers: such a shard is refused rather than run uncapped, or left waiting for a number it
// may never use. That is a shard with no part of any number of its pool (the pool's numbers
// times PerNumber below the shards), or, with a caller id column, a PerNumber below the shards
// (a row's own number could be one the shard has no part of).
func (c *Config) CheckCallerIDs() error {
	n := max(c.Shard.N, 1)
	if c.PerNumber <= 0 || n == 1 {
		return nil
	}
	if c.Load.FromColumn != "" && c.PerNumber < n {
		return fmt.Errorf("--per-number-concurrency %d is split between the %d shards, so a row's own caller id (--from-number-column) could have no part of it in shard %d: give at least %d, or fewer shards",
			c.PerNumber, n, c.Shard.K, n)
	}
	p := callerIDsOf(c)
	for _, number := range c.FromNumbers {
		if p.capOf(number) > 0 {
			return nil
		}
	}
	if len(c.FromNumbers) == 0 {
		return nil
	}
	numbers, calls := len(p.rank), len(p.rank)*c.PerNumber
	return fmt.Errorf("--per-number-concurrency %d is split between the %d shards one caller id at a time, and the pool's %d %s at %d each %s %d %s at once between them: shard %d would have none; give --per-number-concurrency at least %d, more numbers, or fewer shards",
		c.PerNumber, n, numbers, human.Plural(numbers, "number", "numbers"), c.PerNumber, human.Plural(numbers, "makes", "make"), calls, human.Plural(calls, "call", "calls"),
		c.Shard.K, (n+numbers-1)/numbers)
}

// FatalError is a condition that makes going on pointless: the key was refused, the agent does
// not exist, the state cannot be written. The run stops; what was recorded stays valid.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return e.Err.Error() }

func (e *FatalError) Unwrap() error { return e.Err }

// ErrStopped is returned by [Runner.Run] after [Runner.Stop] (a signal): no new calls were
// placed after it, the calls in flight were followed to the end, and the results were written.
var ErrStopped = errors.New("campaign: stopped before every row was dialled")

// logf tells the logger of a notable event, as a sentence.
func (c *Config) logf(format string, args ...any) { c.Logger.Info(fmt.Sprintf(format, args...)) }

// warnf tells the logger of something that went wrong, or that stops the run placing calls.
func (c *Config) warnf(format string, args ...any) { c.Logger.Warn(fmt.Sprintf(format, args...)) }
