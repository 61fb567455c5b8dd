package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/authstack/authstack/pkg/doctor"
)

// ExitFindings is doctor's exit code when it found at least one error.
const ExitFindings = 3

// findingsError makes Main exit with ExitFindings.
type findingsError struct{ errors int }

func (e findingsError) Error() string {
	return fmt.Sprintf("doctor found %d error finding(s)", e.errors)
}

type doctorFlags struct {
	in             doctor.Inputs
	now            string
	output         string
	live           bool
	liveKubeconfig string
	context        string
	timeout        time.Duration
	symptom        string
}

func newDoctor(streams IO) *cobra.Command {
	f := &doctorFlags{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Explain 401s, 403s and login loops from your files, a token, and the live cluster",
		Long: `doctor reads whatever you have - API server settings, dex and oauth2-proxy configs,
Ingresses, RBAC, a kubeconfig, a token - and checks that they agree with each other.
Every finding has a stable code (docs/doctor.md), the evidence and the fix.
Exit code: 0 no error finding, 3 at least one, 2 a bad flag. An artifact that
cannot be read or used is an AS-00 finding (file, line, cause); the rest is still checked.
Secrets and token signatures are never printed.`,
		Example: `  authstack doctor -f authstack.yaml
  authstack doctor --authentication-config /etc/kubernetes/authn.yaml --rbac rbac.yaml --token token.jwt
  kubectl oidc-login get-token ... | authstack doctor --apiserver-manifest kube-apiserver.yaml --token -
  authstack doctor --live --token token.jwt -o json
  authstack doctor -f authstack.yaml --symptom 'error: You must be logged in to the server (Unauthorized)'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDoctor(cmd.Context(), streams, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.in.Spec, "file", "f", "", "an authstack.yaml; its rendered outputs are checked like your own files")
	bindArtifactFlags(fl, &f.in)
	fl.StringVar(&f.in.Token, "token", "", "a file with an id token (raw JWT or ExecCredential JSON), - for stdin")
	fl.StringVar(&f.in.JWKS, "jwks", "", "the issuer's JSON Web Key Set, to verify the token's signature offline")
	fl.StringVar(&f.now, "now", "", "evaluate expiry at this RFC 3339 time instead of the clock")
	fl.BoolVar(&f.live, "live", false, "also inspect the cluster of the current kubeconfig context")
	fl.StringVar(&f.liveKubeconfig, "live-kubeconfig", "", "kubeconfig for --live (default: $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context for --live")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "time limit of the --live checks")
	fl.StringVar(&f.symptom, "symptom", "", "a log line or error message you see (kube-apiserver, kubectl, dex, oauth2-proxy, ingress-nginx): the checks that explain it run first")
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	completeWith(cmd, "output", "text", "json")
	return cmd
}

func runDoctor(ctx context.Context, streams IO, f *doctorFlags) error {
	if f.output != "text" && f.output != "json" {
		return usageError{fmt.Errorf("--output must be text or json, got %q", f.output)}
	}
	if f.now != "" {
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return usageError{fmt.Errorf("--now %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", f.now)}
		}
		f.in.Now = t
	}
	f.in.Stdin = streams.In
	m, err := doctor.Load(f.in)
	var inputErr *doctor.InputError
	if errors.As(err, &inputErr) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if f.live {
		if ctx == nil {
			ctx = context.Background()
		}
		ctx, cancel := context.WithTimeout(ctx, f.timeout)
		defer cancel()
		if err := doctor.CollectLive(ctx, m, doctor.LiveOptions{Kubeconfig: f.liveKubeconfig, Context: f.context}); err != nil {
			return err
		}
	}
	var report *doctor.Report
	if f.symptom != "" {
		report = doctor.DiagnoseSymptom(m, f.symptom)
	} else {
		report = doctor.Diagnose(m)
	}
	if f.output == "json" {
		err = doctor.WriteJSON(streams.Out, report)
	} else {
		err = doctor.WriteText(streams.Out, report, doctor.TextOptions{Color: colorTerminal(streams)})
	}
	if err != nil {
		return err
	}
	if n := report.Errors(); n > 0 {
		return findingsError{errors: n}
	}
	return nil
}

// bindArtifactFlags binds the flags that name a user's artifacts, shared by
// doctor and import so that both read the same files the same way.
func bindArtifactFlags(fl *pflag.FlagSet, in *doctor.Inputs) {
	fl.StringVar(&in.AuthenticationConfig, "authentication-config", "", "the API server's AuthenticationConfiguration file")
	fl.StringVar(&in.APIServerManifest, "apiserver-manifest", "", "the kube-apiserver static Pod manifest (its --oidc-* flags)")
	fl.StringVar(&in.KubesprayVars, "kubespray-vars", "", "kubespray group_vars with kube_oidc_* variables")
	fl.StringVar(&in.KubeadmConfig, "kubeadm-config", "", "a kubeadm config with a ClusterConfiguration")
	fl.StringVar(&in.DexConfig, "dex-config", "", "dex's config: its config.yaml, the dex Helm chart's values (config:), or a Secret or ConfigMap holding config.yaml")
	fl.StringArrayVar(&in.OAuth2ProxyConfigs, "oauth2-proxy-config", nil, "an oauth2_proxy.cfg, an alpha config YAML, or the oauth2-proxy Deployment with its ConfigMaps and Secrets (repeatable)")
	fl.StringArrayVar(&in.Ingress, "ingress", nil, "Ingress YAML, several documents allowed (repeatable)")
	fl.StringArrayVar(&in.RBAC, "rbac", nil, "RoleBindings/ClusterRoleBindings YAML (repeatable)")
	fl.StringArrayVar(&in.Manifests, "manifests", nil, "other objects: the dex Deployment and dex-config/dex-env Secrets, oauth2-proxy ConfigMaps and Secrets (repeatable)")
	fl.StringVar(&in.Kubeconfig, "kubeconfig", "", "a kubeconfig whose OIDC users are read")
}

// colorTerminal is true when stdout is a terminal and NO_COLOR is unset
// (https://no-color.org).
func colorTerminal(streams IO) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := streams.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
