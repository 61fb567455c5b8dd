// Package startup keeps the garbage collector out of package initialisation.
// Every command, even `authstack version`, pays for initialising all the
// packages linked in (helm's JSON Schema library compiles its meta-schemas,
// client-go registers every API group): about 6 MB of allocations, during
// which the collector, starting from its 4 MB minimum heap goal, runs several
// cycles for memory that stays live anyway. GODEBUG=inittrace=1 showed about
// a quarter of the initialisation time spent so.
//
// Since Go 1.21 packages initialise in a defined order (by import path, as
// soon as their own imports are initialised), and this package imports only
// the runtime: it initialises before the heavy packages, whose paths sort
// after github.com/authstack. main imports it first and calls Done.
package startup

import (
	"os"
	"runtime/debug"
)

// previous is the collector setting to restore; -2 when untouched.
var previous = -2

func init() {
	// The user's GOGC (or GODEBUG) decides when set.
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	previous = debug.SetGCPercent(-1)
}

// Done turns the collector back on, as the process started it. main calls it
// first thing: from then on the program runs with the usual GOGC.
func Done() {
	if previous != -2 {
		debug.SetGCPercent(previous)
		previous = -2
	}
}
