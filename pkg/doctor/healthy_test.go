package doctor

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Every example spec renders into artifacts doctor finds consistent.
func TestExamplesHaveNoErrors(t *testing.T) {
	specs, err := filepath.Glob("../../examples/*/authstack.yaml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no example specs: %v", err)
	}
	for _, spec := range specs {
		t.Run(filepath.Base(filepath.Dir(spec)), func(t *testing.T) {
			m, err := Load(Inputs{Spec: spec, Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			r := Diagnose(m)
			for _, f := range r.Findings {
				if f.Severity == Error {
					t.Errorf("%s %s: %s", f.Code, f.Name, f.Message)
				}
			}
			if len(r.Ran) < 10 {
				t.Errorf("only %d checks ran on a full spec: %v", len(r.Ran), r.Ran)
			}
			if testing.Verbose() {
				WriteText(os.Stdout, r, TextOptions{})
			}
		})
	}
}
