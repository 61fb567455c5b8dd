// Package wizard asks the questions of `authstack init` with huh, in a
// terminal or, in accessible mode, as plain numbered prompts on any
// stdin/stdout. It is the only package that imports huh; what the answers
// mean and how they are checked lives in pkg/initspec.
package wizard

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/huh"
	"golang.org/x/term"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
	"github.com/authstack/authstack/pkg/initspec"
)

// ErrDeclined is returned when the user does not confirm the summary.
var ErrDeclined = errors.New("nothing written: the spec was not confirmed")

// ErrAborted is returned when the user quits (ctrl+c).
var ErrAborted = errors.New("init aborted")

// ErrInputEnded is returned in accessible mode when stdin ends before the
// last question; the wizard never waits on a closed input.
var ErrInputEnded = errors.New("input ended before the last question: answer every question, or use authstack init --non-interactive with flags")

// Options say where the wizard talks and what it already knows.
type Options struct {
	In  io.Reader
	Out io.Writer
	// Accessible asks plain numbered questions, one per line, for screen
	// readers and scripted input.
	Accessible bool
	// Initial answers (from flags) are offered as defaults.
	Initial initspec.Answers
	// Path is where the spec will be written, for the last question.
	Path string
}

// IsTerminal reports whether r is an interactive terminal.
func IsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Run asks every question and returns the confirmed answers.
func Run(opts Options) (initspec.Answers, error) {
	w := &wizard{opts: opts, a: opts.Initial}
	if opts.Accessible {
		w.in = &lineReader{r: opts.In}
	}
	steps := []func() error{w.cluster, w.issuer, w.issuerDetails, w.connector, w.apps, w.access, w.confirm}
	for _, step := range steps {
		if err := step(); err != nil {
			return initspec.Answers{}, err
		}
	}
	return w.a, nil
}

type wizard struct {
	opts Options
	a    initspec.Answers
	in   *lineReader
}

// run shows one form and turns huh's and the input's endings into ours.
func (w *wizard) run(groups ...*huh.Group) error {
	f := huh.NewForm(groups...).WithShowHelp(!w.opts.Accessible)
	if w.opts.Accessible {
		f = f.WithAccessible(true).WithInput(w.in).WithOutput(w.opts.Out)
	} else {
		f = f.WithInput(w.opts.In).WithOutput(w.opts.Out)
	}
	err := f.Run()
	switch {
	case errors.Is(err, huh.ErrUserAborted):
		return ErrAborted
	case err != nil:
		return fmt.Errorf("wizard: %w", err)
	case w.in != nil && w.in.eof:
		return ErrInputEnded
	}
	return nil
}

// check validates what is being typed for one question with the spec's own
// validation, on a copy of the answers given so far.
func (w *wizard) check(flag string, def string, set func(*initspec.Answers, string)) func(string) error {
	return func(s string) error {
		s = strings.TrimSpace(s)
		// In accessible mode an empty line takes the default; in a
		// terminal the default is already in the box.
		if s == "" && w.opts.Accessible {
			s = def
		}
		b := w.a
		set(&b, s)
		return initspec.Check(b, flag)
	}
}

// optional accepts an empty answer and otherwise checks it.
func (w *wizard) optional(flag string, set func(*initspec.Answers, string)) func(string) error {
	c := w.check(flag, "", set)
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return c(s)
	}
}

func (w *wizard) input(title, desc string, value *string, validate func(string) error) *huh.Input {
	if w.opts.Accessible {
		// Accessible prompts show only the title: say the hint and the
		// default there, as a screen reader reads one line.
		if desc != "" {
			title += ". " + strings.TrimSuffix(desc, ".")
		}
		if *value != "" {
			title += " [" + *value + "]"
		}
		title += ":"
	}
	return huh.NewInput().Title(title).Description(desc).Value(value).Validate(validate)
}

func (w *wizard) cluster() error {
	a := &w.a
	if a.Installer == "" {
		a.Installer = string(v1alpha1.InstallerKubespray)
	}
	if a.KubernetesVersion == "" {
		a.KubernetesVersion = initspec.DefaultKubernetesVersion
	}
	installers := []huh.Option[string]{
		huh.NewOption("kubespray", string(v1alpha1.InstallerKubespray)),
		huh.NewOption("kubeadm", string(v1alpha1.InstallerKubeadm)),
		huh.NewOption("kind (a local test cluster)", string(v1alpha1.InstallerKind)),
		huh.NewOption("other: I pass an AuthenticationConfiguration file to the API server myself", string(v1alpha1.InstallerAuthConfig)),
	}
	err := w.run(huh.NewGroup(
		w.input("Cluster name", "A short DNS label, such as prod. Used in the kubeconfig and in team group names.", &a.ClusterName,
			w.check(initspec.FlagClusterName, a.ClusterName, func(b *initspec.Answers, s string) { b.ClusterName = s })),
		huh.NewSelect[string]().Title("How is the Kubernetes API server installed?").Options(installers...).Value(&a.Installer),
		w.input("Kubernetes version", `Such as 1.34; it decides which API server settings exist.`, &a.KubernetesVersion,
			w.check(initspec.FlagKubernetesVersion, a.KubernetesVersion, func(b *initspec.Answers, s string) { b.KubernetesVersion = s })),
		w.input("API server URL (optional)", "What kubectl connects to, such as https://k8s.example.com:6443. Empty to fill in later.", &a.Server,
			w.optional(initspec.FlagServer, func(b *initspec.Answers, s string) { b.Server = s })),
	).Title("Cluster"))
	a.ClusterName, a.KubernetesVersion, a.Server = trim(a.ClusterName), trim(a.KubernetesVersion), trim(a.Server)
	return err
}

func (w *wizard) issuer() error {
	a := &w.a
	if a.Issuer == "" {
		a.Issuer = initspec.IssuerDex
		if a.IssuerURL != "" && a.IssuerHost == "" {
			a.Issuer = initspec.IssuerExternal
		}
	}
	return w.run(huh.NewGroup(
		huh.NewSelect[string]().Title("Who issues the login tokens?").Options(
			huh.NewOption("dex, deployed by authstack, in front of LDAP, GitHub or another provider", initspec.IssuerDex),
			huh.NewOption("an OIDC issuer I already run (Keycloak, Entra ID, ...)", initspec.IssuerExternal),
		).Value(&a.Issuer),
	).Title("Issuer"))
}

func (w *wizard) issuerDetails() error {
	a := &w.a
	if a.Issuer == initspec.IssuerExternal {
		a.IssuerHost, a.Connector = "", ""
		err := w.run(huh.NewGroup(
			w.input("Issuer URL", "Exactly as the tokens' iss claim spells it, such as https://login.example.com/realms/main.", &a.IssuerURL,
				w.check(initspec.FlagIssuerURL, a.IssuerURL, func(b *initspec.Answers, s string) { b.IssuerURL = s })),
		).Title("Issuer"))
		a.IssuerURL = trim(a.IssuerURL)
		return err
	}
	a.IssuerURL = ""
	if a.Connector == "" {
		a.Connector = initspec.ConnectorLDAP
	}
	err := w.run(huh.NewGroup(
		w.input("Public host of dex", "The DNS name users reach dex at, such as dex.example.com.", &a.IssuerHost,
			w.check(initspec.FlagIssuerHost, a.IssuerHost, func(b *initspec.Answers, s string) { b.IssuerHost = s })),
		huh.NewSelect[string]().Title("Where does dex find your users?").Options(
			huh.NewOption("LDAP or Active Directory", initspec.ConnectorLDAP),
			huh.NewOption("GitHub", initspec.ConnectorGitHub),
			huh.NewOption("another OIDC provider (Keycloak, Entra ID, Google, ...)", initspec.ConnectorOIDC),
			huh.NewOption("static test users (test clusters only)", initspec.ConnectorStatic),
		).Value(&a.Connector),
	).Title("dex"))
	a.IssuerHost = trim(a.IssuerHost)
	return err
}

func (w *wizard) connector() error {
	if w.a.Issuer == initspec.IssuerExternal {
		return nil
	}
	switch w.a.Connector {
	case initspec.ConnectorLDAP:
		return w.ldap()
	case initspec.ConnectorGitHub:
		return w.github()
	case initspec.ConnectorOIDC:
		return w.oidc()
	case initspec.ConnectorStatic:
		return w.static()
	}
	return nil
}

func (w *wizard) ldap() error {
	l := &w.a.LDAP
	if err := w.run(huh.NewGroup(
		w.input("LDAP server", "host:port, such as ldap.example.com:636 (LDAPS).", &l.Host,
			w.check(initspec.FlagLDAPHost, l.Host, func(b *initspec.Answers, s string) { b.LDAP.Host = s })),
		w.input("CA of the LDAP server (optional)", "A PEM file, relative to authstack.yaml, when the server's certificate is signed by a private CA.", &l.RootCAFile,
			w.optional(initspec.FlagLDAPRootCAFile, func(b *initspec.Answers, s string) { b.LDAP.RootCAFile = s })),
		w.input("Bind DN (optional)", "The account dex searches with, such as cn=dex,ou=services,dc=example,dc=com. Empty for anonymous search.", &l.BindDN,
			w.optional(initspec.FlagLDAPBindDN, func(b *initspec.Answers, s string) { b.LDAP.BindDN = s })),
	).Title("LDAP")); err != nil {
		return err
	}
	l.Host, l.RootCAFile, l.BindDN = trim(l.Host), trim(l.RootCAFile), trim(l.BindDN)
	if l.BindDN == "" {
		l.BindPassword = initspec.Secret{}
	} else {
		source, name := "env", l.BindPassword.Env
		if l.BindPassword.File != "" {
			source, name = "file", l.BindPassword.File
		}
		if err := w.run(huh.NewGroup(
			huh.NewSelect[string]().Title("Where does authstack read the bind password when it renders?").
				Description("The password itself is never written into authstack.yaml.").
				Options(huh.NewOption("an environment variable", "env"), huh.NewOption("a file", "file")).Value(&source),
		).Title("LDAP bind password")); err != nil {
			return err
		}
		title, def := "Environment variable", "LDAP_BIND_PASSWORD"
		if source == "file" {
			title, def = "File (relative to authstack.yaml)", "ldap-bind-password.txt"
		}
		if name == "" {
			name = def
		}
		set := func(b *initspec.Answers, s string) {
			b.LDAP.BindPassword = initspec.Secret{}
			if source == "file" {
				b.LDAP.BindPassword.File = s
			} else {
				b.LDAP.BindPassword.Env = s
			}
		}
		if err := w.run(huh.NewGroup(
			w.input(title, "Holds the password of "+l.BindDN+".", &name, w.check(initspec.FlagLDAPBindPasswordEnv, name, set)),
		).Title("LDAP bind password")); err != nil {
			return err
		}
		set(&w.a, trim(name))
	}
	if l.UsernameAttr == "" {
		l.UsernameAttr = "mail"
	}
	err := w.run(huh.NewGroup(
		w.input("Users base DN", "Where user entries are, such as ou=people,dc=example,dc=com.", &l.UserBaseDN,
			w.check(initspec.FlagLDAPUserBaseDN, l.UserBaseDN, func(b *initspec.Answers, s string) { b.LDAP.UserBaseDN = s })),
		w.input("Login name attribute", "What users type at the login form: mail, uid, or sAMAccountName for Active Directory.", &l.UsernameAttr,
			w.check(initspec.FlagLDAPUsernameAttr, l.UsernameAttr, func(b *initspec.Answers, s string) { b.LDAP.UsernameAttr = s })),
		w.input("Groups base DN (optional)", "Where groups (groupOfNames, members by DN) are, such as ou=groups,dc=example,dc=com. Empty for no groups.", &l.GroupBaseDN,
			w.optional(initspec.FlagLDAPGroupBaseDN, func(b *initspec.Answers, s string) { b.LDAP.GroupBaseDN = s })),
	).Title("LDAP search"))
	l.UserBaseDN, l.UsernameAttr, l.GroupBaseDN = trim(l.UserBaseDN), trim(l.UsernameAttr), trim(l.GroupBaseDN)
	return err
}

func (w *wizard) github() error {
	g := &w.a.GitHub
	if g.ClientSecret.Env == "" {
		g.ClientSecret.Env = "GITHUB_CLIENT_SECRET"
	}
	orgs := strings.Join(g.Orgs, ", ")
	err := w.run(huh.NewGroup(
		w.input("GitHub OAuth app client ID", "From github.com/settings/developers; its callback URL is https://<dex host>/callback.", &g.ClientID,
			w.check(initspec.FlagGitHubClientID, g.ClientID, func(b *initspec.Answers, s string) { b.GitHub.ClientID = s })),
		w.input("Environment variable with the client secret", "Read when you render; the secret is never written into authstack.yaml.", &g.ClientSecret.Env,
			w.check(initspec.FlagGitHubClientSecretEnv, g.ClientSecret.Env, func(b *initspec.Answers, s string) { b.GitHub.ClientSecret.Env = s })),
		w.input("Organizations allowed to log in (optional)", "Comma separated. Empty lets every GitHub user log in.", &orgs,
			w.optional(initspec.FlagGitHubOrg, func(b *initspec.Answers, s string) { b.GitHub.Orgs = list(s) })),
	).Title("GitHub"))
	g.ClientID, g.ClientSecret.Env, g.Orgs = trim(g.ClientID), trim(g.ClientSecret.Env), list(orgs)
	return err
}

func (w *wizard) oidc() error {
	o := &w.a.OIDC
	if o.ClientSecret.Env == "" {
		o.ClientSecret.Env = "OIDC_CLIENT_SECRET"
	}
	err := w.run(huh.NewGroup(
		w.input("Upstream issuer URL", "Such as https://login.microsoftonline.com/<tenant>/v2.0.", &o.Issuer,
			w.check(initspec.FlagOIDCIssuer, o.Issuer, func(b *initspec.Answers, s string) { b.OIDC.Issuer = s })),
		w.input("Client ID at the upstream issuer", "", &o.ClientID,
			w.check(initspec.FlagOIDCClientID, o.ClientID, func(b *initspec.Answers, s string) { b.OIDC.ClientID = s })),
		w.input("Environment variable with the client secret", "Read when you render; the secret is never written into authstack.yaml.", &o.ClientSecret.Env,
			w.check(initspec.FlagOIDCClientSecretEnv, o.ClientSecret.Env, func(b *initspec.Answers, s string) { b.OIDC.ClientSecret.Env = s })),
	).Title("Upstream OIDC"))
	o.Issuer, o.ClientID, o.ClientSecret.Env = trim(o.Issuer), trim(o.ClientID), trim(o.ClientSecret.Env)
	return err
}

func (w *wizard) static() error {
	st := &w.a.Static
	users := strings.Join(st.Users, ", ")
	var password string
	pw := huh.NewInput().Title("Password of the test users").
		Description("Stored in authstack.yaml as a bcrypt hash. Test clusters only.").Value(&password).
		Validate(func(s string) error {
			if len(s) < 8 {
				return errors.New("use at least 8 characters")
			}
			return nil
		})
	if !w.opts.Accessible {
		// Accessible mode reads passwords only from a real terminal; it
		// shows this one as typed, which is acceptable for a test cluster.
		pw = pw.EchoMode(huh.EchoModePassword)
	}
	if err := w.run(huh.NewGroup(
		w.input("Test users' emails", "Comma separated, such as alice@example.com, bob@example.com.", &users,
			w.check(initspec.FlagStaticUser, users, func(b *initspec.Answers, s string) {
				b.Static.Users, b.Static.PasswordHash = list(s), "$2a$10$placeholder"
			})),
		pw,
	).Title("Static test users")); err != nil {
		return err
	}
	hash, err := initspec.HashPassword(password)
	if err != nil {
		return err
	}
	st.Users, st.PasswordHash = list(users), hash
	return nil
}

func (w *wizard) apps() error {
	a := &w.a
	hosts := map[string]string{}
	var custom []string
	for _, s := range a.Apps {
		app, err := initspec.ParseApp(s)
		if err == nil && initspec.FormatApp(app) == s && isPreset(app.Name) {
			hosts[app.Name] = app.Host
		} else {
			custom = append(custom, s)
		}
	}
	var chosen []string
	options := make([]huh.Option[string], 0, len(initspec.PresetNames))
	for _, n := range initspec.PresetNames {
		_, on := hosts[n]
		options = append(options, huh.NewOption(initspec.Presets[n].Description, n).Selected(on))
	}
	if err := w.run(huh.NewGroup(
		huh.NewMultiSelect[string]().Title("Which web apps should require a login?").
			Description("oauth2-proxy logs users in before they reach the app.").Options(options...).Value(&chosen),
	).Title("Apps")); err != nil {
		return err
	}
	var fields []huh.Field
	values := make([]string, len(chosen))
	for i, n := range chosen {
		values[i] = hosts[n]
		p := initspec.Presets[n]
		// Each app is checked together with the apps before it, so a host
		// used twice is caught where it is typed.
		idx := i
		fields = append(fields, w.input("Host of "+p.Description, "Such as "+n+".example.com.", &values[i],
			w.check(initspec.FlagApp, values[i], func(b *initspec.Answers, s string) {
				b.Apps = append(appsOf(chosen[:idx], values[:idx]), n+"="+s)
			})))
	}
	other := strings.Join(custom, ", ")
	fields = append(fields, w.input("Other apps (optional)", "Comma separated, each NAME=HOST:token|headers@NAMESPACE/SERVICE:PORT, such as wiki=wiki.example.com:headers@docs/wiki:8080.", &other,
		w.optional(initspec.FlagApp, func(b *initspec.Answers, s string) {
			b.Apps = append(appsOf(chosen, values), list(s)...)
		})))
	if err := w.run(huh.NewGroup(fields...).Title("App hosts")); err != nil {
		return err
	}
	a.Apps = append(appsOf(chosen, values), list(other)...)
	if a.Issuer == initspec.IssuerExternal && len(a.Apps) > 0 {
		if a.AppClientSecret.Env == "" {
			a.AppClientSecret.Env = "APPS_CLIENT_SECRET"
		}
		err := w.run(huh.NewGroup(
			w.input("Environment variable with the apps' client secret", "The apps log in as one confidential client at your issuer; its secret is read when you render.", &a.AppClientSecret.Env,
				w.check(initspec.FlagIssuerClientSecretEnv, a.AppClientSecret.Env, func(b *initspec.Answers, s string) { b.AppClientSecret.Env = s })),
		).Title("Apps"))
		a.AppClientSecret.Env = trim(a.AppClientSecret.Env)
		return err
	}
	return nil
}

func appsOf(names, hosts []string) []string {
	out := make([]string, 0, len(names))
	for i, n := range names {
		out = append(out, n+"="+trim(hosts[i]))
	}
	return out
}

func isPreset(name string) bool {
	_, ok := initspec.Presets[name]
	return ok
}

func (w *wizard) access() error {
	a := &w.a
	users, teams := strings.Join(a.UserNamespaces, ", "), strings.Join(a.TeamNamespaces, ", ")
	err := w.run(huh.NewGroup(
		w.input("Admins group (optional)", "Members get cluster-admin. Empty for none.", &a.AdminGroup,
			w.optional(initspec.FlagAdminGroup, func(b *initspec.Answers, s string) { b.AdminGroup = s })),
		w.input("Read-only group (optional)", "Members read all but Secrets; no exec/attach/port-forward.", &a.ReadOnlyGroup,
			w.optional(initspec.FlagReadOnlyGroup, func(b *initspec.Answers, s string) { b.ReadOnlyGroup = s })),
		w.input("Users who get a namespace of their own (optional)", "Comma separated emails; each gets user-<name> and can view the cluster.", &users,
			w.optional(initspec.FlagUserNamespace, func(b *initspec.Answers, s string) { b.UserNamespaces = list(s) })),
		w.input("Team namespaces (optional)", "Comma separated; groups <cluster>:devops|developer|watcher:<namespace> get roles there.", &teams,
			w.optional(initspec.FlagTeamNamespace, func(b *initspec.Answers, s string) { b.TeamNamespaces = list(s) })),
	).Title("Access"))
	a.AdminGroup, a.ReadOnlyGroup = trim(a.AdminGroup), trim(a.ReadOnlyGroup)
	a.UserNamespaces, a.TeamNamespaces = list(users), list(teams)
	return err
}

func (w *wizard) confirm() error {
	spec, err := initspec.Spec(w.a)
	if err != nil {
		return err
	}
	data, err := initspec.Marshal(spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(w.opts.Out, "\n%s\n", data)
	ok := true
	if err := w.run(huh.NewGroup(
		huh.NewConfirm().Title("Write this spec to " + w.opts.Path + "?").Affirmative("Write").Negative("Cancel").Value(&ok),
	)); err != nil {
		return err
	}
	if !ok {
		return ErrDeclined
	}
	return nil
}

func trim(s string) string { return strings.TrimSpace(s) }

// list splits a comma-separated answer.
func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// lineReader hands huh one line per Read. huh's accessible prompts wrap the
// input in a new bufio.Scanner for every question, which would swallow the
// following answers of piped input; it also records EOF so the wizard stops
// instead of answering the remaining questions with defaults.
type lineReader struct {
	r   io.Reader
	eof bool
}

func (l *lineReader) Read(p []byte) (int, error) {
	n := 0
	var b [1]byte
	for n < len(p) {
		m, err := l.r.Read(b[:])
		if m == 1 {
			p[n] = b[0]
			n++
			if b[0] == '\n' {
				return n, nil
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				l.eof = true
			}
			return n, err
		}
	}
	return n, nil
}
