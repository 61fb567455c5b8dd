package startup

import (
	"os"
	"runtime/debug"
	"testing"
)

// The test binary initialises this package as authstack does: the
// collector is off until Done, then back at its setting, and Done twice is
// harmless.
func TestCollectorIsOffUntilDone(t *testing.T) {
	if previous == -2 {
		if _, set := os.LookupEnv("GOGC"); !set {
			t.Fatal("init left the collector on although GOGC is not set")
		}
		return // GOGC set: init rightly left the collector alone
	}
	want := previous
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Fatalf("collector at %d%% before Done, want off (-1)", p)
	}
	Done()
	Done()
	if p := debug.SetGCPercent(want); p != want {
		t.Errorf("collector at %d%% after Done, want %d%%", p, want)
	}
}
