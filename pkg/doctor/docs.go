package doctor

import (
	"fmt"
	"strings"
)

// MutationScore is what TestMutationsAreNamed measures (named/total); the
// test fails when it differs, so that docs/doctor.md stays true.
const MutationScore = "60/64 named (93%)"

// Docs renders docs/doctor.md from the check table, so the list of codes
// cannot drift from the code.
func Docs() []byte {
	var b strings.Builder
	b.WriteString(`# authstack doctor

<!-- Generated from pkg/doctor's check table by ` + "`go test ./pkg/doctor -run TestDocs -update`" + `. Do not edit. -->

` + "`authstack doctor`" + ` explains why an OIDC login to Kubernetes fails: 401 from the API server,
403 from RBAC, a redirect loop in the browser. It reads the files you have (you do not
need to have installed with authstack), a token, and optionally the live cluster, and
checks them against each other.

## Usage

` + "```" + `
authstack doctor [-f authstack.yaml] [--authentication-config F] [--apiserver-manifest F]
                 [--kubespray-vars F] [--kubeadm-config F] [--dex-config F]
                 [--oauth2-proxy-config F]... [--ingress F]... [--rbac F]... [--manifests F]...
                 [--kubeconfig F]
                 [--token F|-] [--jwks F] [--now RFC3339]
                 [--live [--live-kubeconfig F] [--context C]] [--symptom MESSAGE] [-o text|json]
` + "```" + `

Every artifact is optional; each check runs when its evidence is there. ` + "`-f authstack.yaml`" + `
renders the spec (with placeholder secrets) and checks the result as if it were your files.
` + "`--token`" + ` takes a raw JWT or the ExecCredential JSON kubelogin prints
(` + "`kubectl oidc-login get-token ... | authstack doctor --token - ...`" + `). ` + "`--ingress`" + `, ` + "`--rbac`" + ` and
` + "`--manifests`" + ` read multi-document YAML or a List (` + "`kubectl get deploy,cm,secret -o yaml`" + `) and take
from it Ingresses, bindings, the dex Deployment (replicas) and its dex-config/dex-env Secrets,
oauth2-proxy Deployments (flags, ` + "`OAUTH2_PROXY_*`" + ` variables literal or from Secrets, and the
` + "`--config`" + ` or ` + "`--alpha-config`" + ` file mounted from a ConfigMap or Secret in the same stream, with
oauth2-proxy's precedence: flags over variables over the file), and oauth2-proxy ConfigMaps that
no Deployment mounts, with their Secrets (client-secret, cookie-secret).

Files as the programs read them: an ` + "`oauth2_proxy.cfg`" + ` and an alpha config given as two
` + "`--oauth2-proxy-config`" + ` files whose names differ only in the extension (` + "`x.cfg`" + `, ` + "`x.yaml`" + `) are
one oauth2-proxy run with ` + "`--config x.cfg --alpha-config x.yaml`" + `. A kubespray value with Jinja
is rendered from the file's own variables and kubespray's role defaults (` + "`{{ kube_cert_dir }}`" + `);
one that needs anything else (a filter, a variable of another file) is an AS-00 naming the
variable, not a value. A dex config with gomplate actions (` + "`{{ getenv ... }}`" + `, which dex's image
renders at start) is an AS-00: give the rendered one. Of two keys or static clients with the
same name, the last counts, as in dex, kubespray and kube-apiserver.

` + "`--live`" + ` uses the current kubeconfig context: it reads the kube-apiserver Pod's flags in
kube-system when visible, fetches the issuer's discovery document and keys with the CA the
API server is given (reporting TLS trust), reads dex and oauth2-proxy as deployed by authstack
(label app.kubernetes.io/managed-by=authstack; with -f, differences are drift), and with a token
asks the API server who the token's user is (SelfSubjectReview) and what it may do
(SubjectAccessReview).

Exit codes: 0 no error finding, 3 at least one error finding, 2 a bad flag (` + "`-o yaml`" + `,
` + "`--now yesterday`" + `), 1 another failure. doctor never stops on an artifact: one that cannot be read
or used (missing, a directory, larger than 8 MiB, not UTF-8, empty, a syntax error, another
kind of file than its flag takes, a token that is not a JWT) is an AS-00 error finding with the
file, the line when known and the likely cause, and the other artifacts are still checked.

Secrets are never printed: client and cookie secrets are compared ("the two values differ") or
measured (their length), and a token is shown as its header and claims, never its signature.

## --symptom

` + "`--symptom \"<message>\"`" + ` takes what you see - a kube-apiserver log line, a kubectl error, a dex page,
an oauth2-proxy or ingress-nginx log line - and runs first the checks that explain it. The report
starts with a ` + "`symptom`" + ` section (JSON: ` + "`symptom`" + `) naming the message it recognized, where the
upstream program prints it, the checks it points to with their status, and those that found the
cause (` + "`explained by`" + `). A message doctor does not know is said so, and every check runs. A
wrapper such as "invalid bearer token" or oauth2-proxy's callback error counts only when no more
specific message is in the text.

| component | message | printed by | checks |
|---|---|---|---|
` + symptomTable() + `
## Doctor is the inverse of render

Measured by tests in pkg/doctor (inverse_test.go), on every example and on generated specs
(the dashboard example with the kubespray and kubeadm installers, a headers app, one dex
replica):

- False positives: doctor on what ` + "`authstack render`" + ` writes reports no error finding
  (TestRenderedStacksHaveNoErrors): 0 on 5 examples and 4 generated specs.
- Mutation score: ` + MutationScore + ` (TestMutationsAreNamed). Each mutation changes one setting that render
  writes and that matters for login (issuer, client ids, secrets, redirect URIs, scopes, claims,
  prefixes, audiences, CAs, cookie and refresh settings, each auth annotation, RBAC subjects,
  kubespray variables) to a value that breaks it or lets someone in, and counts when an error
  finding's evidence names the setting. The goal is 95%. Not named:
  - kubelogin's --certificate-authority-data removed: a warning (AS-09), since a workstation may
    trust the issuer's CA system-wide.
  - oauth2-proxy allowed_groups naming a group the GitHub connector never issues: doctor reads
    dex's connectors but does not derive the groups a connector issues from its config yet.
  - oauth2-proxy email_domains excluding the users: their emails are known only for dex static
    users.
  - skip_jwt_bearer_tokens = true: a warning (AS-58), only the proxy's own client's tokens.

Each check cites the upstream code or documentation it follows in its Cause below.

## Faults reproduced with the real programs

The local end-to-end tier (e2e/local/faults_test.go, run by ` + "`make e2e`" + `) breaks one setting at a
time in the running stack, where that setting lives: the dex config dex runs from, the
oauth2-proxy ConfigMap or Secret a proxy runs from, the AuthenticationConfiguration file the
API server reloads, a binding in the cluster, the user's kubeconfig. It then does what a user
does (an app login over HTTP, kubectl through kubelogin) and captures the message the real
program prints (dex, oauth2-proxy, kube-apiserver 1.37, kubelogin, kubectl). Each fault counts
when doctor, run on the same files, reports an error finding of the check below that names the
setting (and no such error on the healthy stack), and when ` + "`doctor --symptom`" + ` with the captured
message points to the check in the last column (TestRealFaultMessagesMapToTheirChecks replays
the messages against the symptom table in every ` + "`go test`" + `).

` + fmt.Sprintf("%d", len(RealFaults())) + ` faults reproduced (ports, paths and times in the messages replaced):

| fault | setting broken | real message | doctor's error | --symptom |
|---|---|---|---|---|
` + realFaultsTable() + `
What the real messages changed in the symptom table:

- dex's token endpoint answers ` + "`invalid_client` \"Invalid client credentials.\"" + ` for a client id it does not
  have exactly as for a wrong secret (dex server/grants/grants.go authenticateClient), which is
  what kubelogin prints for a wrong --oidc-client-id: the rule points to AS-41 as well as AS-42.
- The API server applies a changed AuthenticationConfiguration only when every issuer in it
  answers; otherwise it logs "failed to update authentication config", keeps the previous
  config and retries (kubernetes pkg/kubeapiserver/options/authentication.go): a wrong issuer
  URL or CA shows there, and as 401s only after the next restart. New rules for it and for
  "failed to validate authentication config".
- oauth2-proxy warns about a cookie domain in two forms; the table shows the one it prints when
  cookie_domains lists domains the request host is not under (pkg/cookies/cookies.go).

And one check: AS-52 reported an error on the healthy tier, whose apps are served on
localhost:PORT. An Ingress host carries no port, so the whitelist entry with the port (the
redirect URL's host) is the one that matters; AS-52 no longer asks for the port-less host then.

## Output

The text output groups the checks by category, like ` + "`linkerd check`" + `: ✓ passed, ‼ warning,
× error, ℹ information, ○ skipped; colors only on a terminal, and never with NO_COLOR set.
A check runs when the kind of artifact it reads was given; it is skipped, with the reason,
when it could not examine what it verifies (no key set to check a signature, a secret kept
elsewhere, nothing of the kind it checks). A skipped check never shows ✓.

` + "`-o json`" + ` prints one object with a stable schema:

` + "```json" + `
{
  "findings": [
    {
      "code": "AS-01",
      "name": "issuer-mismatch",
      "severity": "error",
      "category": "apiserver",
      "message": "the API server trusts issuer \"https://dex.example.com/\" but dex issues tokens as \"https://dex.example.com\": they differ only by a trailing slash",
      "evidence": [
        "authn.yaml: jwt[0].issuer.url = \"https://dex.example.com/\"",
        "dex.yaml: issuer = \"https://dex.example.com\""
      ],
      "fix": "set authn.yaml: jwt[0].issuer.url to \"https://dex.example.com\""
    }
  ],
  "checks": [
    {
      "code": "AS-10",
      "name": "token-signature-unknown-key",
      "category": "token",
      "title": "the token's signature verifies with the issuer's keys",
      "status": "skipped",
      "skipped": [
        "no key set to verify the signature with: give the issuer's keys with --jwks, or use --live"
      ]
    }
  ]
}
` + "```" + `

Each finding:

| field | type | meaning |
|---|---|---|
| code | string | stable code ` + "`AS-NN`" + `, listed below; never reused |
| name | string | stable slug of the code |
| severity | string | ` + "`error`" + ` (breaks logins; exit 3), ` + "`warning`" + ` (breaks some, or will), ` + "`info`" + ` (facts: the token's user, matching bindings) |
| category | string | one of ` + "`" + joinCats() + "`" + ` |
| message | string | what is wrong, in plain language |
| evidence | array of strings | where it shows: ` + "`file: field path = value`" + ` or ` + "`token: claim name = value`" + ` |
| fix | string | the exact value to change and where (may be empty for info) |

Findings are sorted by category (in the order above), then code.

` + "`checks`" + ` lists every check that ran, in the same order as the text output:

| field | type | meaning |
|---|---|---|
| code, name, category | string | as in findings |
| title | string | what the check verifies |
| status | string | ` + "`passed`" + `, ` + "`skipped`" + `, ` + "`info`" + `, ` + "`warning`" + ` or ` + "`error`" + `: the worst of its findings, and ` + "`skipped`" + ` when it could not examine (part of) its evidence and found nothing worse |
| skipped | array of strings | why the check could not examine (part of) its evidence; absent when it examined everything |

## Codes
`)
	for _, cat := range Categories {
		first := true
		for _, c := range checks {
			if c.Category != cat {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n### %s\n", cat)
				first = false
			}
			fmt.Fprintf(&b, "\n#### %s %s (%s)\n\nChecks that %s.\n\n", c.Code, c.Name, c.Severity, c.Title)
			if c.Symptom != "-" {
				fmt.Fprintf(&b, "- Symptom: %s\n", c.Symptom)
			}
			fmt.Fprintf(&b, "- Cause: %s\n", c.Cause)
			if c.Fix != "-" {
				fmt.Fprintf(&b, "- Fix: %s\n", c.Fix)
			}
		}
	}
	return []byte(b.String())
}

func symptomTable() string {
	var b strings.Builder
	for _, r := range symptomRules {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", r.Component, strings.ReplaceAll(r.Says, "|", "\\|"), r.Source, strings.Join(r.Codes, ", "))
	}
	return b.String()
}

func joinCats() string {
	s := make([]string, len(Categories))
	for i, c := range Categories {
		s[i] = string(c)
	}
	return strings.Join(s, "`, `")
}
