package up

import (
	"bytes"
	_ "embed"
	"fmt"
	"path/filepath"
	"strings"
	"text/template"

	"golang.org/x/crypto/bcrypt"

	"github.com/authstack/authstack/pkg/secrets"
)

//go:embed demo.yaml.tmpl
var demoTemplate string

// User is a static test user of the stack.
type User struct {
	Name, Email, Group string
	// Password is known only for the demo's generated users.
	Password string
	Hash     string
}

// demoUsers are the demo's test users: one per RBAC binding of the demo
// spec, so a login as each shows a different view of the cluster.
func demoUsers() ([]User, error) {
	users := []User{
		{Name: "alice", Email: "alice@example.com", Group: "developers"},
		{Name: "bob", Email: "bob@example.com", Group: "viewers"},
	}
	for i := range users {
		// Generated per cluster rather than a well-known "password": the
		// edge listens on the host's port 443, which other local processes
		// and, with a permissive firewall, other machines can reach.
		pw, err := secrets.Random(12)
		if err != nil {
			return nil, err
		}
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
		if err != nil {
			return nil, err
		}
		users[i].Password, users[i].Hash = pw, string(h)
	}
	return users, nil
}

// writeDemo writes the demo spec for cluster into dir as authstack.yaml and
// the users' passwords as users.txt (0600), and returns the spec's path.
func writeDemo(dir, cluster string, users []User) (string, error) {
	var b bytes.Buffer
	t := template.Must(template.New("demo").Parse(demoTemplate))
	if err := t.Execute(&b, struct {
		Cluster string
		Users   []User
	}{cluster, users}); err != nil {
		return "", fmt.Errorf("demo spec: %w", err)
	}
	path := filepath.Join(dir, "authstack.yaml")
	if err := writeFile(path, b.Bytes(), 0o600); err != nil {
		return "", err
	}
	if err := writeFile(filepath.Join(dir, usersFile), []byte(formatUsers(users)), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

const usersFile = "users.txt"

// formatUsers is users.txt: one "email password" line per user.
func formatUsers(users []User) string {
	var b strings.Builder
	for _, u := range users {
		fmt.Fprintf(&b, "%s %s\n", u.Email, u.Password)
	}
	return b.String()
}
