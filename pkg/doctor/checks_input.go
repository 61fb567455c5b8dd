package doctor

var _ = register(Check{
	Code: "AS-00", Name: "artifact-invalid", Category: CatInput, Severity: Error,
	Title:   "every artifact given can be read and is the kind of file its flag takes",
	Symptom: "the component that reads the file refuses it (kubectl apply, the API server, dex or oauth2-proxy does not start), or the file is not the one that is deployed.",
	Cause:   "The file cannot be read (missing, a directory, larger than 8 MiB, permission), is not UTF-8 text (UTF-16 from a Windows editor, Latin-1), is empty, has a syntax error at the line named, or is another kind of file than its flag takes (a ConfigMap given as --dex-config, a dex config without issuer: dex refuses it, cmd/dex/config.go). doctor checks the other artifacts without it.",
	Fix:     "Correct the file at the line named, or give the right file to the flag, then run doctor again: the checks that need this file did not see it.",
	Needs:   []Need{NeedInvalid},
	Run:     func(m *Model) []Finding { return m.Invalid },
})
