package journal

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"time"
)

// SetClock sets the clock of the times the journal records (default time.Now).
func (s *State) SetClock(now func() time.Time) { s.now = now }

func (s *State) clock() time.Time {
	if s.now == nil {
		return time.Now()
	}
	return s.now()
}

// Ref returns the correlation reference of a contact's attempt in this run, carried in
// user_data: campaign, contact, attempt and run, so that no two intents share one.
func (s *State) Ref(key string, attempt int) string {
	return s.RefPrefix(key, attempt) + s.run
}

// Dial records, durably, the intent to dial key for the attempt-th time.
func (s *State) Dial(key, phone string, attempt int, ref string, at time.Time) error {
	return s.DialFrom(key, phone, "", attempt, ref, at)
}

// DialFrom is Dial on the caller id from: a resumed run counts its calls per number.
func (s *State) DialFrom(key, phone, from string, attempt int, ref string, at time.Time) error {
	return s.append(record{Ev: evDial, Key: key, Phone: phone, Attempt: attempt, Ref: ref, From: from, At: at.UTC()}, true)
}

// DialRow records, durably, the intent to dial lc (its key, number, caller id, attempt,
// reference, time, agent and the list's line, which the attempts log reports: see Attempts).
// The agent is left out when it is the owner's, as older journals have it.
func (s *State) DialRow(lc LiveCall) error {
	agent := lc.Agent
	if agent == s.owner.Agent {
		agent = ""
	}
	return s.append(record{Ev: evDial, Key: lc.Key, Phone: lc.Phone, Agent: agent, Attempt: lc.Attempt, Ref: lc.Ref, From: lc.From, Line: lc.Line, At: lc.DialedAt.UTC()}, true)
}

// Placed records, durably, the execution id of an attempt.
func (s *State) Placed(key string, attempt int, executionID string, at time.Time) error {
	return s.append(record{Ev: evPlaced, Key: key, Attempt: attempt, ExecutionID: executionID, At: at.UTC()}, true)
}

// GiveBack records that an attempt's call was stopped before it rang (POST /call/{id}/stop):
// the attempt is not counted, the row is pending again, and reason says why.
func (s *State) GiveBack(key string, attempt int, reason string, at time.Time) error {
	return s.append(record{Ev: evVoid, Key: key, Attempt: attempt, Reason: reason, At: at.UTC()}, true)
}

// Void records that an attempt's POST was refused: no call exists and the attempt is not
// counted.
func (s *State) Void(key string, attempt int, at time.Time) error {
	return s.append(record{Ev: evVoid, Key: key, Attempt: attempt, At: at.UTC()}, true)
}

// Final records an attempt's outcome (a timeout too: the next run follows the call again).
// It is written at once but not synced on its own: a process killed right after still leaves
// it in the file, and should the machine go down before the next sync, the call is merely
// followed again (by id) by the next run. Only the intent and the execution id must be on
// disk before the run goes on. o.AgentID, the attempt's agent, is kept when it is not the
// owner's (an experiment's other arms).
func (s *State) Final(key string, attempt int, o Outcome) error {
	o.Attempts = attempt
	o.Duration, o.Cost = finite(o.Duration), finite(o.Cost) // JSON has no NaN: one odd payload must not stop the run
	agent := o.AgentID
	if agent == s.owner.Agent {
		agent = ""
	}
	return s.append(record{Ev: evFinal, Key: key, Agent: agent, Attempt: attempt, At: s.clock().UTC(), Outcome: &o}, false)
}

// Adopt records what a results file says of a contact, for a journal rebuilt from the results
// when the journal itself was lost: a call in flight or timed out is followed again by the
// next run, a final outcome stands, and the attempts count. Rows never dialled need nothing.
// The records are synced by Close.
func (s *State) Adopt(key, phone string, o Outcome) error {
	if o.Attempts < 1 {
		return nil
	}
	at := o.DialedAt
	if at.IsZero() {
		at = s.clock().UTC()
	}
	rec := record{Ev: evDial, Key: key, Phone: phone, Attempt: o.Attempts, Ref: "imported", At: at}
	if o.AgentID != s.owner.Agent {
		rec.Agent = o.AgentID // the results' agent_id: an experiment's arm
	}
	if err := s.append(rec, false); err != nil {
		return err
	}
	if o.ExecutionID != "" {
		if err := s.append(record{Ev: evPlaced, Key: key, Attempt: o.Attempts, ExecutionID: o.ExecutionID, At: at}, false); err != nil {
			return err
		}
	}
	switch {
	case o.Status == StatusInFlight && o.ExecutionID == "":
		// Its POST /call was answered by nothing the lost journal kept: the call may exist,
		// and without the journal its reference is unknown, so it cannot be looked for.
		o.Status = StatusUnknown
		o.Error = "the journal was lost while this row's call was being placed, so the call cannot be identified; not dialled again unless --retry unknown"
	case o.Status == StatusInFlight, o.Status == StatusPending, o.Status == "":
		if o.ExecutionID == "" { // never placed after all
			return s.append(record{Ev: evVoid, Key: key, Attempt: o.Attempts, At: at}, false)
		}
		return nil
	}
	return s.append(record{Ev: evFinal, Key: key, Agent: rec.Agent, Attempt: o.Attempts, At: at, Outcome: &o}, false)
}

// NoteAccount records the account as this run found it.
func (s *State) NoteAccount(a Account) error {
	return s.append(record{Ev: evAccount, At: a.At, Account: &a}, false)
}

// StopArm records that the run stopped dialling through agent, an experiment's arm found
// behind beyond chance (--stop-losers), and why. StoppedArms reads it back until the next run
// records its account (its start).
func (s *State) StopArm(agent, reason string) error {
	return s.append(record{Ev: evStop, Agent: agent, Reason: reason, At: s.clock().UTC()}, false)
}

// Settle closes a torn intent: its call was looked for and not found.
func (s *State) Settle(key string, attempt int, at time.Time) error {
	return s.append(record{Ev: evSettled, Key: key, Attempt: attempt, At: at.UTC()}, true)
}

// RefPrefix is the part of every reference of a contact's attempt that does not depend on the
// run: a torn intent's call is found by it.
func (s *State) RefPrefix(key string, attempt int) string {
	id := s.campaign
	if id == "" {
		id = "new" // a dry run before the first real run
	}
	return fmt.Sprintf("%s-%016x-%d-", id, KeyHash(key), attempt)
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
