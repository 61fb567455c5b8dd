package dexconfig

import (
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/authstack/authstack/pkg/patch/internal/patchtest"
)

// lineDiff returns the lines of in that are not in out and those of out
// that are not in in, by the longest run of lines the two share in order.
func lineDiff(in, out string) (removed, added string) {
	a, b := strings.SplitAfter(in, "\n"), strings.SplitAfter(out, "\n")
	for _, op := range difflib.NewMatcherWithJunk(a, b, false, nil).GetOpCodes() {
		if op.Tag == 'd' || op.Tag == 'r' {
			removed += strings.Join(a[op.I1:op.I2], "")
		}
		if op.Tag == 'i' || op.Tag == 'r' {
			added += strings.Join(b[op.J1:op.J2], "")
		}
	}
	return removed, added
}

// The owned client authstack adds, as the spec renders it.
const ownedClient = "- id: authstack-kubectl\n  name: kubectl\n  public: true\n  redirectURIs:\n  - http://localhost:8000\n  - http://localhost:18000\n"

// Issue #10 (5): merging authstack's client into dex's own shipped configs
// and into the dex Helm chart's values leaves every line of the file as it
// was, in order, comments and indentation included; the only new lines
// are the owned client's.
func TestMergeKeepsEveryLineOutsideTheOwnedClient(t *testing.T) {
	tests := []struct {
		file, issuer   string
		removed, added string
	}{
		{file: "upstream/config-dev.yaml", issuer: "http://127.0.0.1:5556/dex", added: ownedClient},
		{file: "upstream/config-ldap.yaml", issuer: "http://127.0.0.1:5556/dex", added: ownedClient},
		// The chart's default values: "config: {}" becomes a block holding
		// the config, written in the file's own list indentation.
		{file: "upstream/helm-values.yaml", issuer: "https://dex.example.com",
			removed: "config: {}\n",
			added:   "config:\n  issuer: https://dex.example.com\n  staticClients:\n" + indent("    - ", "      ", ownedClient)},
		{file: "helm-values-filled.yaml", issuer: "https://dex.example.com", added: indent("    - ", "      ", ownedClient)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := patchtest.ReadTestdata(t, tt.file)
			desired := "issuer: " + tt.issuer + "\nstaticClients:\n" + ownedClient
			res, err := Merge(in, []byte(desired))
			if err != nil {
				t.Fatal(err)
			}
			removed, added := lineDiff(string(in), string(res.Config))
			if removed != tt.removed {
				t.Errorf("lines of %s changed or moved:\n%s\nwant only:\n%s", tt.file, removed, tt.removed)
			}
			if added != tt.added {
				t.Errorf("added lines:\n%s\nwant:\n%s", added, tt.added)
			}
			patchtest.Stable(t, func(b []byte) ([]byte, error) { return mergeConfig(b, []byte(desired)) }, res.Config)
		})
	}
}

// indent re-indents a block list item (as ownedClient) to start with dash
// and continue with rest; nested "  - " list lines keep their offset.
func indent(dash, rest, item string) string {
	var b strings.Builder
	for i, l := range strings.SplitAfter(item, "\n") {
		switch {
		case l == "":
		case i == 0:
			b.WriteString(dash + strings.TrimPrefix(l, "- "))
		case strings.HasPrefix(l, "  - "):
			b.WriteString(rest + "  - " + strings.TrimPrefix(l, "  - "))
		default:
			b.WriteString(rest + strings.TrimPrefix(l, "  "))
		}
	}
	return b.String()
}

// Issue #10 (5): another issuer is refused with both values and the line
// of the file's issuer, and nothing to write.
func TestMergeRefusesAnotherIssuerNamingBothAndTheLine(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"upstream/config-dev.yaml", "issuer (line 7): the dex config serves http://127.0.0.1:5556/dex, the spec's issuer is https://login.example.org"},
		{"helm-values-filled.yaml", "config.issuer (line 7): the dex config serves https://dex.example.com, the spec's issuer is https://login.example.org"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			res, err := Merge(patchtest.ReadTestdata(t, tt.file), []byte("issuer: https://login.example.org\nstaticClients:\n"+ownedClient))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if res.Config != nil {
				t.Errorf("Merge returned a config to write despite the error")
			}
		})
	}
}

func TestMergeRefusesHelmValuesWhoseConfigTheChartIgnores(t *testing.T) {
	values := "configSecret:\n  create: false\n  name: dex-config\nconfig:\n  issuer: https://a\n"
	_, err := Merge([]byte(values), []byte("issuer: https://a\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2: configSecret.create is false") || !strings.Contains(err.Error(), "the Secret dex-config") {
		t.Fatalf("err = %v", err)
	}
}

// What the merge adds inside entries that are already there (a redirect
// URI of a shared client) or next to them (a connector) goes right after
// the last line of the list it extends; no other line moves.
func TestMergeAddsInsideEntriesWithoutMovingALine(t *testing.T) {
	for _, tt := range []struct{ file, desired, added string }{
		{"upstream/config-dev.yaml",
			"issuer: http://127.0.0.1:5556/dex\nstaticClients:\n- id: example-app\n  name: App\n  redirectURIs:\n  - https://app.example.com/oauth2/callback\n",
			"  - https://app.example.com/oauth2/callback\n"},
		{"upstream/config-ldap.yaml",
			"issuer: http://127.0.0.1:5556/dex\nconnectors:\n- type: github\n  id: gh\n  name: GitHub\n  config:\n    clientID: $GH_ID\n",
			"- type: github\n  id: gh\n  name: GitHub\n  config:\n    clientID: $GH_ID\n"},
		{"helm-values-filled.yaml",
			"issuer: https://dex.example.com\nstaticClients:\n- id: grafana\n  name: Grafana\n  secretEnv: GRAFANA_CLIENT_SECRET\n  redirectURIs:\n  - https://grafana.example.com/login/generic_oauth\n  - https://grafana.example.com/oauth2/callback\n",
			"        - https://grafana.example.com/oauth2/callback\n"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			in := patchtest.ReadTestdata(t, tt.file)
			res, err := Merge(in, []byte(tt.desired))
			if err != nil {
				t.Fatal(err)
			}
			removed, added := lineDiff(string(in), string(res.Config))
			if removed != "" || added != tt.added {
				t.Errorf("removed:\n%s\nadded:\n%s\nwant added:\n%s", removed, added, tt.added)
			}
		})
	}
}
