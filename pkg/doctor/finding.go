package doctor

import "sort"

// Severity of a finding.
type Severity string

// Severities, from the one that breaks logins to the one that only informs.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
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
var Categories = []Category{CatAPIServer, CatToken, CatRBAC, CatDex, CatOAuth2Proxy, CatIngress, CatKubeconfig, CatInstaller, CatLive}

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

// Report is the result of a doctor run.
type Report struct {
	Findings []Finding `json:"findings"`
	// Ran lists the codes of the checks that had evidence to look at, passed or not.
	Ran []string `json:"-"`
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

func sortFindings(fs []Finding) {
	catRank := map[Category]int{}
	for i, c := range Categories {
		catRank[c] = i
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if catRank[a.Category] != catRank[b.Category] {
			return catRank[a.Category] < catRank[b.Category]
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Severity.rank() < b.Severity.rank()
	})
}
