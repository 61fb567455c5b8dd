package up

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/authstack/authstack/pkg/apis/authstack/v1alpha1"
)

// Summary is what up tells the user at the end.
type Summary struct {
	Cluster string
	// Apps are the apps' URLs with their identity mode.
	Apps []AppURL
	// Issuer is dex's URL.
	Issuer string
	Users  []User
	// UsersFile holds the demo users' passwords (0600); empty for a spec
	// of the user's, whose passwords up does not know.
	UsersFile string
	// CAFile is the CA the browser must trust for the edge's certificate.
	CAFile string
	// Kubeconfig is the OIDC kubeconfig (kubelogin) for the cluster.
	Kubeconfig string
	// Namespace is where the first app runs, for the kubectl example.
	Namespace string
	Took      time.Duration
}

// AppURL is one app of the stack.
type AppURL struct {
	Name, URL string
	Identity  v1alpha1.IdentityMode
}

func summarize(spec *v1alpha1.Spec, users []User, in Input, kubeconfig string) *Summary {
	s := &Summary{
		Cluster:    in.Name,
		Issuer:     "https://" + spec.Issuer.Dex.Host,
		Users:      users,
		CAFile:     filepath.Join(in.StateDir, caFile),
		Kubeconfig: kubeconfig,
		Namespace:  "default",
	}
	for _, u := range users {
		if u.Password != "" {
			s.UsersFile = filepath.Join(in.StateDir, usersFile)
			break
		}
	}
	for _, a := range spec.Apps {
		s.Apps = append(s.Apps, AppURL{Name: a.Name, URL: "https://" + a.Host + "/", Identity: a.Identity})
	}
	sort.Slice(s.Apps, func(i, j int) bool { return s.Apps[i].Name < s.Apps[j].Name })
	if len(spec.Apps) > 0 {
		s.Namespace = spec.Apps[0].Namespace
	}
	return s
}

// Print writes the summary: the URLs, the test users and the kubectl
// command to log in. The demo users' passwords are printed here, once; they
// stay only in the 0600 users file of the state directory.
func (s *Summary) Print(w io.Writer) {
	fmt.Fprintf(w, "authstack is up on kind cluster %s", s.Cluster)
	if s.Took > 0 {
		fmt.Fprintf(w, " (%s)", s.Took.Round(time.Second))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "\nApps (log in through dex at "+s.Issuer+"):")
	for _, a := range s.Apps {
		fmt.Fprintf(w, "  %-10s %s  (identity: %s)\n", a.Name, a.URL, a.Identity)
	}
	fmt.Fprintln(w, "\nTest users:")
	for _, u := range s.Users {
		pw := "(password as in your spec)"
		if u.Password != "" {
			pw = "password " + u.Password
		}
		group := ""
		if u.Group != "" {
			group = "  group " + u.Group
		}
		fmt.Fprintf(w, "  %-20s %s%s\n", u.Email, pw, group)
	}
	if s.UsersFile != "" {
		fmt.Fprintf(w, "  (kept in %s, readable by you only)\n", s.UsersFile)
	}
	fmt.Fprintf(w, "\nThe edge's certificate is signed by %s: trust it in your browser, or\naccept the warning once.\n", s.CAFile)
	fmt.Fprintf(w, "\nLog in with kubectl (opens the browser through kubelogin):\n  kubectl --kubeconfig %s get pods -n %s\n", s.Kubeconfig, s.Namespace)
	fmt.Fprintf(w, "\nRemove everything: authstack down --name %s\n", s.Cluster)
}

// String is the summary as Print writes it.
func (s *Summary) String() string {
	var b strings.Builder
	s.Print(&b)
	return b.String()
}
