package corefile

import (
	"strings"
	"testing"
)

// kubeadmCorefile is the Corefile kubeadm (and so kind) installs.
const kubeadmCorefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`

var rules = []Rewrite{
	{From: "dex.127.0.0.1.nip.io", To: "ingress-nginx-controller.ingress-nginx.svc.cluster.local"},
	{From: "whoami.127.0.0.1.nip.io", To: "ingress-nginx-controller.ingress-nginx.svc.cluster.local"},
}

func TestParseFindsPluginsOfTheRootBlock(t *testing.T) {
	cf, err := Parse([]byte(kubeadmCorefile))
	if err != nil {
		t.Fatal(err)
	}
	root, err := cf.Root()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range root.Plugins {
		names = append(names, p.Name)
	}
	want := "errors health ready kubernetes prometheus forward cache loop reload loadbalance"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("plugins %q, want %q", got, want)
	}
	if k := root.Plugins[3]; strings.Join(k.Args, " ") != "cluster.local in-addr.arpa ip6.arpa pods insecure fallthrough in-addr.arpa ip6.arpa ttl 30" {
		t.Errorf("kubernetes args %q", k.Args)
	}
}

// The block goes in once, is replaced when the rules change, and the rest
// of the Corefile stays byte for byte.
func TestEditRewritesIsIdempotentAndPreservesTheRest(t *testing.T) {
	once, err := EditRewrites([]byte(kubeadmCorefile), "dev", rules)
	if err != nil {
		t.Fatal(err)
	}
	want := ".:53 {\n" + Print("dev", rules) + strings.TrimPrefix(kubeadmCorefile, ".:53 {\n")
	if string(once) != want {
		t.Fatalf("edited Corefile:\n%s\nwant:\n%s", once, want)
	}
	twice, err := EditRewrites(once, "dev", rules)
	if err != nil || string(twice) != string(once) {
		t.Fatalf("a second edit changed the Corefile (err %v):\n%s", err, twice)
	}
	fewer, err := EditRewrites(once, "dev", rules[:1])
	if err != nil || string(fewer) != ".:53 {\n"+Print("dev", rules[:1])+strings.TrimPrefix(kubeadmCorefile, ".:53 {\n") {
		t.Fatalf("changing the rules (err %v):\n%s", err, fewer)
	}
	// Another stack's block is another block, and its names are its own.
	if _, err := EditRewrites(once, "prod", rules[1:]); err == nil || !strings.Contains(err.Error(), "whoami.127.0.0.1.nip.io") {
		t.Errorf("a second stack rewriting dev's name: err %v, want a refusal", err)
	}
	prod := []Rewrite{{From: "grafana.127.0.0.1.nip.io", To: rules[0].To}}
	both, err := EditRewrites(once, "prod", prod)
	if err != nil || !strings.Contains(string(both), Print("dev", rules)) || !strings.Contains(string(both), Print("prod", prod)) {
		t.Fatalf("a second stack's block (err %v):\n%s", err, both)
	}
	if _, err := Parse(both); err != nil {
		t.Fatalf("edited Corefile does not parse: %v", err)
	}
}

// What authstack cannot change safely it refuses, naming why.
func TestEditRewritesRefusesWhatItCannotChangeSafely(t *testing.T) {
	for name, tc := range map[string]struct{ corefile, want string }{
		"no root block":  {"example.org:53 {\n    forward . 8.8.8.8\n}\n", "no server block for the root zone"},
		"two root":       {".:53 {\n    errors\n}\n.:53 {\n    errors\n}\n", "2 server blocks"},
		"unclosed":       {".:53 {\n    errors\n", "not closed"},
		"stray brace":    {"}\n", "} without {"},
		"user's rewrite": {".:53 {\n    rewrite name dex.127.0.0.1.nip.io my-edge.default.svc.cluster.local\n    errors\n}\n", "line 2: a rewrite rule of its own already names dex.127.0.0.1.nip.io"},
		"half a block":   {".:53 {\n    # authstack:dev begin\n    errors\n}\n", "without"},
		"one-line block": {".:53 { errors }\n", "not at the end of its line"},
	} {
		if _, err := EditRewrites([]byte(tc.corefile), "dev", rules); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", name, err, tc.want)
		}
	}
}
