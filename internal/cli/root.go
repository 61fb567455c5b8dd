// Package cli holds authstack's cobra commands. Commands only parse flags
// and call into pkg/; they hold no logic of their own.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/pkg/config"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitInvalid = 2
)

// usageError is a mistake on the command line.
type usageError struct{ error }

// IO is where a command reads and writes.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Verbosity is the -v level, shared by every command once flags are parsed.
	Verbosity *int
}

// Logf prints progress on stderr when -v is at least level.
func (s IO) Logf(level int, format string, args ...any) {
	if s.Verbosity != nil && *s.Verbosity >= level {
		fmt.Fprintf(s.Err, format+"\n", args...)
	}
}

// Main runs authstack with args and returns the process exit code.
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	streams := IO{In: in, Out: out, Err: errOut}
	root := NewRoot(streams)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(errOut, "error:", err)
	var invalid *config.InvalidError
	var usage usageError
	var findings findingsError
	switch {
	case errors.As(err, &invalid), errors.As(err, &usage):
		return ExitInvalid
	case errors.As(err, &findings):
		return ExitFindings
	}
	return ExitFailure
}

// NewRoot builds the command tree.
func NewRoot(streams IO) *cobra.Command {
	root := &cobra.Command{
		Use:           "authstack",
		Short:         "Install and troubleshoot single sign-on for Kubernetes",
		Long:          "authstack renders dex, oauth2-proxy, the API server OIDC settings, ingress wiring, RBAC and kubeconfigs from one authstack.yaml, consistent with each other.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	if name := displayName(os.Args[0]); name != "" {
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: name}
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	if streams.Verbosity == nil {
		streams.Verbosity = new(int)
	}
	root.PersistentFlags().IntVarP(streams.Verbosity, "verbose", "v", 0, "log more progress on stderr: 1 the steps, 2 the files read and written, 3 everything")
	root.AddCommand(newApply(streams), newRender(streams), newValidate(streams), newVersion(streams), newVerify(streams), newInit(streams), newKubeconfig(streams), newDoctor(streams), newImport(streams), newDiff(streams), newProxy(streams), newUp(streams), newDown(streams))
	completeWith(root, "verbose", "0", "1", "2", "3")
	registerCompletions(root)
	return root
}

// displayName is how help and usage name the command when the binary runs as
// a kubectl plugin (kubectl-authstack, as krew installs it): users typed
// `kubectl authstack`, so that is what the examples and errors say.
func displayName(argv0 string) string {
	// Either separator: filepath.Base only knows the running OS's.
	base := strings.TrimSuffix(argv0[strings.LastIndexAny(argv0, `/\`)+1:], ".exe")
	if plugin, ok := strings.CutPrefix(base, "kubectl-"); ok {
		return "kubectl " + plugin
	}
	return ""
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args)}
	}
	return nil
}
