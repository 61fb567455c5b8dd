package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/wizard"
	"github.com/authstack/authstack/pkg/config"
	"github.com/authstack/authstack/pkg/initspec"
	"github.com/authstack/authstack/pkg/patch"
)

type initFlags struct {
	output         string
	force          bool
	accessible     bool
	nonInteractive bool
	fromEnv        bool
	answers        initspec.Answers
}

func newInit(streams IO) *cobra.Command {
	f := &initFlags{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write an authstack.yaml by answering a few questions",
		Long: `Ask the questions that matter (cluster, issuer, where users come from, which
web apps to protect, who gets which access) and write a spec that validates.
Every answer is checked as you type with the same rules as authstack validate,
and the spec is shown before it is written.

In pipelines, give every answer as a flag with --non-interactive, or as
AUTHSTACK_<FLAG> environment variables with --from-env (for example
AUTHSTACK_ISSUER_HOST; list flags take comma-separated values). Missing or
wrong answers are reported all at once, by flag. Flags given to the wizard
become its defaults.

--accessible (or ACCESSIBLE=1) asks plain numbered questions, one per line,
for screen readers; it also reads answers piped on stdin. Without a terminal
on stdin and without these options, init stops instead of waiting.

Secrets are never written into the spec: it names the environment variable or
file that holds each one when you render.`,
		Example: `  # the wizard
  authstack init

  # the same spec in one line, for a pipeline
  authstack init --non-interactive --cluster-name prod --installer kubespray --kubernetes-version 1.33 \
    --issuer-host dex.example.com --connector ldap --ldap-host ldap.example.com:636 \
    --ldap-bind-dn cn=dex,ou=services,dc=example,dc=com --ldap-bind-password-env LDAP_BIND_PASSWORD \
    --ldap-user-base-dn ou=people,dc=example,dc=com --ldap-group-base-dn ou=groups,dc=example,dc=com \
    --app dashboard=dash.example.com:token --app prometheus=prom.example.com:headers \
    --admin-group k8s-admins --user-namespace alice@example.com --team-namespace shop

  # answers from AUTHSTACK_* variables, spec on stdout
  AUTHSTACK_CLUSTER_NAME=dev AUTHSTACK_INSTALLER=kind ... authstack init --from-env -o -

  # for a screen reader
  authstack init --accessible`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runInit(cmd, streams, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "authstack.yaml", `where to write the spec ("-" for stdout)`)
	fl.BoolVar(&f.force, "force", false, "overwrite an existing file (a backup is kept as FILE"+patch.BackupSuffix+")")
	fl.BoolVar(&f.accessible, "accessible", false, "plain numbered prompts for screen readers and piped input (also ACCESSIBLE=1)")
	fl.BoolVar(&f.nonInteractive, "non-interactive", false, "ask nothing: take every answer from flags")
	fl.BoolVar(&f.fromEnv, "from-env", false, "take answers from AUTHSTACK_* environment variables (implies --non-interactive; flags win)")
	initspec.BindFlags(fl, &f.answers)
	fl.SortFlags = false
	_ = cmd.RegisterFlagCompletionFunc("output", completeFiles(yamlFiles...))
	completeWith(cmd, initspec.FlagInstaller, installerNames()...)
	completeWith(cmd, initspec.FlagConnector, initspec.Connectors...)
	completeWith(cmd, initspec.FlagApp, presetCompletions()...)
	return cmd
}

// completeWith offers fixed values for a flag in shell completion.
func completeWith(cmd *cobra.Command, flag string, values ...string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	})
}

func installerNames() []string {
	out := make([]string, 0, len(initspec.Installers))
	for _, i := range initspec.Installers {
		out = append(out, string(i))
	}
	return out
}

func presetCompletions() []string {
	out := make([]string, 0, len(initspec.PresetNames))
	for _, n := range initspec.PresetNames {
		out = append(out, n+"=")
	}
	return out
}

func runInit(cmd *cobra.Command, streams IO, f *initFlags) error {
	toStdout := f.output == "-"
	if !toStdout && !f.force {
		// Lstat: a link, even a dangling one, is something already there.
		if _, err := os.Lstat(f.output); err == nil {
			return usageError{fmt.Errorf("%s already exists: pass --force to replace it (a backup is kept), or -o to write elsewhere", f.output)}
		}
	}
	answers := f.answers
	if f.fromEnv {
		if err := initspec.FromEnv(cmd.Flags(), os.LookupEnv); err != nil {
			return usageError{err}
		}
		answers = f.answers
	}
	if f.nonInteractive || f.fromEnv {
		if _, err := initspec.Spec(answers); err != nil {
			var ie *initspec.Error
			if errors.As(err, &ie) {
				return usageError{fmt.Errorf("init --non-interactive: %d answer(s) missing or wrong, give them as flags:%s", len(ie.Problems), problemList(ie.Problems))}
			}
			return err
		}
	} else {
		accessible := f.accessible || os.Getenv("ACCESSIBLE") != ""
		if !accessible && !wizard.IsTerminal(streams.In) {
			return usageError{errors.New("stdin is not a terminal, so init cannot ask questions: use --non-interactive with a flag per answer (see authstack init --help), or --accessible to answer on plain stdin")}
		}
		// Prompts go to stdout in accessible mode, as screen readers
		// expect, unless the spec itself goes there.
		out := streams.Err
		if accessible && !toStdout {
			out = streams.Out
		}
		path := f.output
		if toStdout {
			path = "stdout"
		}
		var err error
		answers, err = wizard.Run(wizard.Options{In: streams.In, Out: out, Accessible: accessible, Initial: answers, Path: path})
		if err != nil {
			return err
		}
	}
	streams.Logf(1, "init: checking the answers with the spec's validation")
	spec, err := initspec.Spec(answers)
	if err != nil {
		return err
	}
	data, err := initspec.Marshal(spec)
	if err != nil {
		return err
	}
	// The spec must load exactly as authstack validate would load it.
	if _, err := config.Parse(f.output, data); err != nil {
		return fmt.Errorf("init produced a spec that does not load, please report this: %w", err)
	}
	if toStdout {
		_, err := streams.Out.Write(data)
		return err
	}
	streams.Logf(2, "init: writing %d bytes to %s atomically", len(data), f.output)
	backup, err := patch.WriteFileAtomic(f.output, data)
	if err != nil {
		return err
	}
	if backup != "" {
		fmt.Fprintf(streams.Err, "kept the previous %s as %s\n", f.output, backup)
	}
	fmt.Fprintf(streams.Err, "wrote %s\nnext: authstack render -f %s -o out\n", f.output, f.output)
	return nil
}

func problemList(ps []initspec.Problem) string {
	var s string
	for _, p := range ps {
		s += "\n  " + p.String()
	}
	return s
}
