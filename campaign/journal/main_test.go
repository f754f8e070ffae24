package journal_test

import (
	"testing"

	"github.com/bolna-campaign/bolna-campaign/internal/testmain"
)

// TestMain exits without the race detector's second of sleep at exit (see package testmain).
func TestMain(m *testing.M) { testmain.Exit(m.Run()) }
