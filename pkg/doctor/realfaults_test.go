package doctor

import "testing"

// The messages the real programs printed in the local end-to-end tier
// (pkg/doctor/realfaults.json, recorded by e2e/local/faults_test.go) map
// to the check that explains them: the symptom table holds against real
// text, not only against the text it was written from.
func TestRealFaultMessagesMapToTheirChecks(t *testing.T) {
	faults := RealFaults()
	if len(faults) < 20 {
		t.Errorf("%d faults reproduced with the real programs, want at least 20", len(faults))
	}
	codes := map[string]bool{}
	for _, c := range Checks() {
		codes[c.Code] = true
	}
	for _, f := range faults {
		if !codes[f.Check] || !codes[f.Symptom] {
			t.Errorf("%s: %s or %s is no check", f.Fault, f.Check, f.Symptom)
		}
		found := false
		for _, r := range MatchSymptom(f.Message) {
			for _, c := range r.Codes {
				found = found || c == f.Symptom
			}
		}
		if !found {
			t.Errorf("%s: doctor --symptom does not map the real message to %s:\n%s", f.Fault, f.Symptom, f.Message)
		}
	}
}
