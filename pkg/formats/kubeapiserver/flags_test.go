package kubeapiserver

import (
	"reflect"
	"strings"
	"testing"
)

func TestBothFlagSyntaxesParseToTheSameFlags(t *testing.T) {
	joined := []string{"kube-apiserver", "--oidc-issuer-url=https://dex.example.com", "--oidc-client-id=kubernetes",
		"--oidc-username-prefix=-", "--oidc-required-claim=hd=example.com", "--oidc-required-claim=tier=gold",
		"--profiling", "--v=2", "--allow-privileged=true"}
	split := []string{"kube-apiserver", "--oidc-issuer-url", "https://dex.example.com", "--oidc-client-id", "kubernetes",
		"--oidc-username-prefix", "-", "--oidc-required-claim", "hd=example.com", "--oidc-required-claim", "tier=gold",
		"--profiling", "-v", "2", "--allow-privileged", "true"}
	a, err := ParseArgs(joined)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseArgs(split)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Flags(), b.Flags()) {
		t.Fatalf("--a=b gives %v\n--a b gives %v", a.Flags(), b.Flags())
	}
	if got := Values(a.Flags(), "oidc-required-claim"); !reflect.DeepEqual(got, []string{"hd=example.com", "tier=gold"}) {
		t.Errorf("repeated flag values = %q", got)
	}
	if got := Effective(b.Flags())["oidc-username-prefix"]; got != "-" {
		t.Errorf("--oidc-username-prefix - read as %q, want \"-\" (pflag takes the next argument as the value)", got)
	}
	if !reflect.DeepEqual(a.Program, []string{"kube-apiserver"}) {
		t.Errorf("program = %q", a.Program)
	}
}

func TestParseArgsFollowsPflagOnRepeatsAndBooleans(t *testing.T) {
	args, err := ParseArgs([]string{"--oidc-client-id=a", "--profiling", "--oidc-signing-algs=RS256", "--oidc-client-id=b", "--oidc-signing-algs=ES256,PS256"})
	if err != nil {
		t.Fatal(err)
	}
	eff := Effective(args.Flags())
	if eff["oidc-client-id"] != "b" {
		t.Errorf("a string flag given twice: the last wins, got %q", eff["oidc-client-id"])
	}
	if eff["oidc-signing-algs"] != "RS256,ES256,PS256" {
		t.Errorf("a StringSlice flag given twice adds up, got %q", eff["oidc-signing-algs"])
	}
	if eff["profiling"] != "true" {
		t.Errorf("a bare flag is a boolean set to true, got %q", eff["profiling"])
	}
}

func TestParseArgsRefusesWhatTheAPIServerWouldMisread(t *testing.T) {
	for name, argv := range map[string][]string{
		"owned flag followed by a flag": {"--oidc-issuer-url", "--oidc-client-id=x"},
		"owned flag at the end":         {"--oidc-client-id=x", "--oidc-issuer-url"},
		"positional argument":           {"--profiling", "--foo=bar", "stray"},
		"bad syntax":                    {"---oidc-issuer-url=x"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseArgs(argv); err == nil {
				t.Fatalf("ParseArgs(%q) accepted it", argv)
			}
		})
	}
}

func TestPrintReadsBack(t *testing.T) {
	flags := []Flag{{"oidc-issuer-url", "https://x"}, {"oidc-username-prefix", "-"}, {"oidc-required-claim", "a=b"}, {"oidc-required-claim", "c="}}
	args, err := ParseArgs(Print(flags))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(args.Flags(), flags) {
		t.Fatalf("Print then ParseArgs = %v, want %v", args.Flags(), flags)
	}
	if got := strings.Join(Print(flags[:1]), " "); got != "--oidc-issuer-url=https://x" {
		t.Errorf("Print = %q", got)
	}
}
