package doctor

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// RealFault is one fault the local end-to-end tier reproduced with the
// real programs (e2e/local/faults_test.go): a setting broken in the
// running stack, the message the real program printed, the check doctor
// named on the same artifacts and the check --symptom maps the message to.
type RealFault struct {
	Fault   string `json:"fault"`
	Breaks  string `json:"breaks"`
	Message string `json:"message"`
	Check   string `json:"check"`
	Symptom string `json:"symptom"`
}

// realFaultsJSON is written by `UPDATE_REAL_FAULTS=1 make e2e`; ports,
// paths and times in the messages are replaced by PORT, DIR, TMP, TIME.
//
//go:embed realfaults.json
var realFaultsJSON []byte

// RealFaults returns the faults reproduced with the real programs.
func RealFaults() []RealFault {
	var out []RealFault
	if err := json.Unmarshal(realFaultsJSON, &out); err != nil {
		panic(fmt.Sprintf("pkg/doctor/realfaults.json: %v", err))
	}
	return out
}

func realFaultsTable() string {
	var b strings.Builder
	for _, f := range RealFaults() {
		msg := strings.ReplaceAll(f.Message, "|", `\|`)
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s |\n", f.Fault, f.Breaks, msg, f.Check, f.Symptom)
	}
	return b.String()
}
