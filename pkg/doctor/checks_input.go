package doctor

var _ = register(Check{
	Code: "AS-00", Name: "artifact-invalid", Category: CatInput, Severity: Error,
	Title:   "every artifact given parses",
	Symptom: "the component that reads the file refuses it (kubectl apply, the API server, dex or oauth2-proxy does not start).",
	Cause:   "The file is not valid YAML (or oauth2_proxy.cfg syntax) at the line named; doctor checks the other artifacts without it.",
	Fix:     "Correct the syntax at the line named, then run doctor again: the checks that need this file did not run.",
	Needs:   []Need{NeedInvalid},
	Run:     func(m *Model) []Finding { return m.Invalid },
})
