package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/safefile"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/secrets"
	"github.com/authstack/authstack/pkg/verify"
)

type verifyFlags struct {
	file          string
	user          string
	passwordFile  string
	passwordStdin bool
	kubeconfig    string
	output        string
	secretsFile   string
	timeout       time.Duration
}

func newVerify(streams IO) *cobra.Command {
	f := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Log in as a real user and check every hop of the login path",
		Long: `Log in as a real user the way a person does and report each hop with ✓ or ×:
issuer discovery and TLS trust, the login through dex's connector form, the
id token's claims against the API server settings, the API server's view of
the user (SelfSubjectReview), RBAC (what the spec grants is allowed, a sample
of what it does not is denied), and every app behind oauth2-proxy (302 to dex
when logged out, 200 as the user once logged in).

The login is driven over HTTP with a cookie jar, no browser needed. The exit
code is 0 only when every hop passed. The password and tokens are never printed.`,
		Example: `  authstack verify -f authstack.yaml --user alice@example.com --password-file pw.txt
  pass show ldap/alice | authstack verify -f authstack.yaml --user alice@example.com --password-stdin -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runVerify(cmd.Context(), streams, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "authstack.yaml", "the spec file")
	fl.StringVar(&f.user, "user", "", "the user name typed at the login form")
	fl.StringVar(&f.passwordFile, "password-file", "", "a file holding the user's password")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the user's password from stdin")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "a kubeconfig locating the API server (default: spec.cluster.server and certificateAuthority)")
	fl.StringVarP(&f.output, "output", "o", "text", "text or json")
	completeWith(cmd, "output", "text", "json")
	fl.StringVar(&f.secretsFile, "secrets-file", "", "generated secrets, for a confidential kubectl client (default: authstack.secrets.yaml next to the spec)")
	fl.DurationVar(&f.timeout, "timeout", 15*time.Second, "timeout of each request")
	return cmd
}

func runVerify(ctx context.Context, streams IO, f *verifyFlags) error {
	if f.output != "text" && f.output != "json" {
		return usageError{fmt.Errorf("-o must be text or json, not %q", f.output)}
	}
	if f.user == "" {
		return usageError{errors.New("--user is required: the name typed at the login form")}
	}
	if (f.passwordFile == "") == !f.passwordStdin {
		return usageError{errors.New("give the password with exactly one of --password-file or --password-stdin")}
	}
	password, err := readPassword(streams.In, f)
	if err != nil {
		return err
	}
	stack, err := config.LoadFile(f.file)
	if err != nil {
		return err
	}
	store := &secrets.FileStore{Path: f.secretsFile, Dir: stack.Dir, Warn: streams.Err}
	if store.Path == "" {
		store.Path = filepath.Join(stack.Dir, "authstack.secrets.yaml")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	report, err := verify.Run(ctx, verify.Options{
		Stack: stack, User: f.user, Password: password, Kubeconfig: f.kubeconfig, Secrets: store, Timeout: f.timeout,
	})
	if err != nil {
		return err
	}
	if f.output == "json" {
		err = report.WriteJSON(streams.Out)
	} else {
		err = report.WriteText(streams.Out)
	}
	if err != nil {
		return err
	}
	if failed := report.Failed(); failed != nil {
		n := 0
		for _, h := range report.Hops {
			if !h.OK {
				n++
			}
		}
		return fmt.Errorf("verify: %d of %d hops failed, first %q", n, len(report.Hops), failed.Name)
	}
	return nil
}

func readPassword(stdin io.Reader, f *verifyFlags) (string, error) {
	var data []byte
	var err error
	if f.passwordStdin {
		data, err = io.ReadAll(io.LimitReader(stdin, 64<<10))
	} else {
		data, err = safefile.Read(f.passwordFile)
	}
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(string(data), "\r\n")
	if pw == "" {
		return "", usageError{errors.New("the password is empty")}
	}
	return pw, nil
}
