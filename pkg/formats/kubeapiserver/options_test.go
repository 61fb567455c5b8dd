package kubeapiserver

import (
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// Every option of the table goes through every installer form and back:
// what render prints (Print, KubeadmExtraArgs, KubesprayVars) is what doctor
// reads (ParseArgs, ParseKubeadmExtraArgs, KubesprayFlags), or the printer
// refuses it; no form drops an option.
func TestEveryOptionRoundTripsThroughEveryInstallerForm(t *testing.T) {
	base := []Flag{{"oidc-issuer-url", "https://dex.example.com"}, {"oidc-client-id", "kubernetes"}}
	for _, o := range Options {
		value := "zz-" + o.Flag
		if o.Kind == Pairs {
			value = "zzclaim=zzvalue"
		}
		// The base flags, with this option's value in its place or after them.
		var flags []Flag
		replaced := false
		for _, b := range base {
			if b.Name == o.Flag {
				b.Value, replaced = value, true
			}
			flags = append(flags, b)
		}
		if !replaced {
			flags = append(flags, Flag{o.Flag, value})
		}
		want := Effective(flags)

		t.Run(o.Flag+"/command line", func(t *testing.T) {
			args, err := ParseArgs(append([]string{"kube-apiserver"}, Print(flags)...))
			if err != nil {
				t.Fatal(err)
			}
			if got := Effective(args.Flags()); !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
		for _, v := range []string{KubeadmV1beta3, KubeadmV1beta4} {
			t.Run(o.Flag+"/"+v, func(t *testing.T) {
				printed, err := KubeadmExtraArgs(v, flags)
				if err != nil {
					t.Fatal(err)
				}
				// Through YAML, as the file is written and read.
				raw, err := yaml.Marshal(map[string]any{"extraArgs": printed})
				if err != nil {
					t.Fatal(err)
				}
				var doc map[string]any
				if err := yaml.Unmarshal(raw, &doc); err != nil {
					t.Fatal(err)
				}
				back, _, err := ParseKubeadmExtraArgs(doc["extraArgs"])
				if err != nil {
					t.Fatal(err)
				}
				if got := Effective(back); !reflect.DeepEqual(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}
		t.Run(o.Flag+"/kubespray", func(t *testing.T) {
			vars, err := KubesprayVars(flags)
			if o.Kubespray == "" || o.KubesprayToggle {
				if err == nil {
					t.Fatalf("kubespray has no variable that writes --%s, yet KubesprayVars gave %v", o.Flag, vars)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			raw, err := yaml.Marshal(varsMap(vars))
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			if err := yaml.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			got, oidc, structured := KubesprayFlags(back)
			if !oidc || structured {
				t.Errorf("oidc %v, structured %v; want flags only", oidc, structured)
			}
			if !reflect.DeepEqual(Effective(got), want) {
				t.Errorf("got %v, want %v", Effective(got), want)
			}
		})
	}
}

func varsMap(vars []Var) map[string]any {
	m := map[string]any{}
	for _, v := range vars {
		m[v.Name] = v.Value
	}
	return m
}

func TestKubesprayReadsOnlyWhatItsTemplatesWrite(t *testing.T) {
	flags, oidc, structured := KubesprayFlags(map[string]any{
		"kube_oidc_url": "https://x", "kube_oidc_client_id": "k", "kube_apiserver_use_authentication_config_file": true,
	})
	if oidc || !structured || len(flags) != 0 {
		t.Errorf("without kube_oidc_auth kubespray writes no --oidc-* flag: got %v, oidc %v, structured %v", flags, oidc, structured)
	}
}

func TestKubeadmV1beta3CannotRepeatAFlag(t *testing.T) {
	flags := []Flag{{"oidc-required-claim", "a=b"}, {"oidc-required-claim", "c=d"}}
	if _, err := KubeadmExtraArgs(KubeadmV1beta3, flags); err == nil || !strings.Contains(err.Error(), KubeadmV1beta4) {
		t.Errorf("err = %v, want a refusal pointing at v1beta4", err)
	}
	out, err := KubeadmExtraArgs(KubeadmV1beta4, flags)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.([]map[string]string)); n != 2 {
		t.Errorf("v1beta4 holds %d entries, want 2", n)
	}
}
