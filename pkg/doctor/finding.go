package doctor

import "sort"

// Severity of a finding.
type Severity string

// Severities, from the one that breaks logins to the one that only informs.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
	// skipped marks the Finding a check returns through skip; Diagnose
	// turns it into the check's Skipped reasons, never into a finding.
	skipped Severity = "skipped"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Category groups the checks by the component they look at.
type Category string

// Categories, in the order the report shows them.
const (
	CatInput       Category = "input"
	CatAPIServer   Category = "apiserver"
	CatToken       Category = "token"
	CatRBAC        Category = "rbac"
	CatDex         Category = "dex"
	CatOAuth2Proxy Category = "oauth2-proxy"
	CatIngress     Category = "ingress"
	CatKubeconfig  Category = "kubeconfig"
	CatInstaller   Category = "installer"
	CatLive        Category = "live"
)

// Categories lists every category in report order.
var Categories = []Category{CatInput, CatAPIServer, CatToken, CatRBAC, CatDex, CatOAuth2Proxy, CatIngress, CatKubeconfig, CatInstaller, CatLive}

// Finding is one problem (or fact) a check found.
type Finding struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	Category Category `json:"category"`
	Message  string   `json:"message"`
	// Evidence names where the problem shows: "file: field path = value"
	// or "token: claim = value". Secret values are never included.
	Evidence []string `json:"evidence"`
	Fix      string   `json:"fix,omitempty"`
}

// Status is the outcome of one check.
type Status string

// The outcomes, from the worst. A check is skipped when it had part of its
// evidence but could not examine it (no key set to verify a signature,
// nothing of the kind it checks); it never passes on what it did not see.
const (
	StatusError   Status = "error"
	StatusWarning Status = "warning"
	StatusSkipped Status = "skipped"
	StatusInfo    Status = "info"
	StatusPassed  Status = "passed"
)

func (s Status) rank() int {
	for i, o := range []Status{StatusError, StatusWarning, StatusSkipped, StatusInfo, StatusPassed} {
		if s == o {
			return i
		}
	}
	return 5
}

func (s Status) worse(o Status) Status {
	if o.rank() < s.rank() {
		return o
	}
	return s
}

// CheckResult is the outcome of one check that had evidence to look at.
type CheckResult struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Category Category `json:"category"`
	// Title is what the check verifies.
	Title  string `json:"title"`
	Status Status `json:"status"`
	// Skipped are the reasons the check could not examine (part of) its evidence.
	Skipped []string `json:"skipped,omitempty"`
}

// Report is the result of a doctor run.
type Report struct {
	Findings []Finding `json:"findings"`
	// Checks are the checks that ran, with their status, in the order of the text output.
	Checks []CheckResult `json:"checks"`
	// Ran lists the codes of the checks that had evidence to look at, passed
	// or not, in the order they ran.
	Ran []string `json:"-"`
	// Symptom is what doctor made of --symptom, when given.
	Symptom *SymptomResult `json:"symptom,omitempty"`
}

// Skipped counts the checks that could not examine (all of) their evidence.
func (r *Report) Skipped() int {
	n := 0
	for _, c := range r.Checks {
		if len(c.Skipped) > 0 {
			n++
		}
	}
	return n
}

// Errors counts the findings of severity error.
func (r *Report) Errors() int { return r.count(Error) }

// Warnings counts the findings of severity warning.
func (r *Report) Warnings() int { return r.count(Warning) }

func (r *Report) count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

func catRank(c Category) int {
	for i, o := range Categories {
		if o == c {
			return i
		}
	}
	return len(Categories)
}

func sortChecks(cs []CheckResult) {
	sort.SliceStable(cs, func(i, j int) bool {
		if a, b := catRank(cs[i].Category), catRank(cs[j].Category); a != b {
			return a < b
		}
		return cs[i].Code < cs[j].Code
	})
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if catRank(a.Category) != catRank(b.Category) {
			return catRank(a.Category) < catRank(b.Category)
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Severity.rank() < b.Severity.rank()
	})
}
