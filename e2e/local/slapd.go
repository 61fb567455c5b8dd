//go:build e2e

package local

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authstack/authstack/internal/testenv"
)

// LDAP directory of the tier.
const (
	ldapBase     = "dc=example,dc=org"
	ldapRootDN   = "cn=admin," + ldapBase
	ldapRootPW   = "admin-secret"
	ldapReadOnly = "readonly-admins"
)

// ldapUser is a person in the test directory.
type ldapUser struct {
	UID, Password, Mail, Name string
	Groups                    []string
}

var (
	alice = ldapUser{UID: "alice", Password: "alice-pw-1", Mail: "alice@example.org", Name: "Alice Liddell", Groups: []string{"developers", "e2e:developer:shop"}}
	bob   = ldapUser{UID: "bob", Password: "bob-pw-2", Mail: "bob@example.org", Name: "Bob Builder", Groups: []string{ldapReadOnly}}
)

var ldapUsers = []ldapUser{alice, bob}

// startSlapd runs a non-system slapd from dir on a free port with the test
// users and groups, and returns host:port.
func startSlapd(t testing.TB, dir string) string {
	t.Helper()
	for _, bin := range []string{"/usr/sbin/slapd", "/usr/sbin/slapadd"} {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("%s is missing: run hack/e2e-deps.sh (installs slapd and ldap-utils)", bin)
		}
	}
	dir = filepath.Join(dir, "slapd")
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := writeFile(t, filepath.Join(dir, "slapd.conf"), []byte(fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %s
argsfile %s
database mdb
maxsize 10485760
suffix "%s"
rootdn "%s"
rootpw %s
directory %s
access to attrs=userPassword by anonymous auth by * none
access to * by * read
`, filepath.Join(dir, "slapd.pid"), filepath.Join(dir, "slapd.args"), ldapBase, ldapRootDN, ldapRootPW, data)))

	var ldif strings.Builder
	fmt.Fprintf(&ldif, "dn: %s\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n", ldapBase)
	fmt.Fprintf(&ldif, "dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n", ldapBase)
	fmt.Fprintf(&ldif, "dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n", ldapBase)
	members := map[string][]string{}
	var groups []string
	for _, u := range ldapUsers {
		fmt.Fprintf(&ldif, "dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\nmail: %s\nuserPassword: %s\n\n",
			u.UID, ldapBase, u.UID, u.Name, strings.Fields(u.Name)[1], u.Mail, u.Password)
		for _, g := range u.Groups {
			if _, ok := members[g]; !ok {
				groups = append(groups, g)
			}
			members[g] = append(members[g], fmt.Sprintf("uid=%s,ou=people,%s", u.UID, ldapBase))
		}
	}
	for _, g := range groups {
		fmt.Fprintf(&ldif, "dn: cn=%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: %s\n", g, ldapBase, g)
		for _, m := range members[g] {
			fmt.Fprintf(&ldif, "member: %s\n", m)
		}
		ldif.WriteString("\n")
	}
	ldifFile := writeFile(t, filepath.Join(dir, "data.ldif"), []byte(ldif.String()))
	if out, err := exec.Command("/usr/sbin/slapadd", "-f", conf, "-l", ldifFile).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	addr := hostPort(freePort(t))
	p := testenv.StartProcess(t, dir, "slapd", nil, "/usr/sbin/slapd", "-f", conf, "-h", "ldap://"+addr+"/", "-d", "0")
	testenv.WaitFor(t, p, "slapd on "+addr, func() error { return tcpOpen(addr) })
	return addr
}

// LDAPModify applies an LDIF of change records (changetype: add, modify,
// delete) to the running directory as its admin, as an LDAP administrator
// would with ldapmodify.
func (s *Stack) LDAPModify(t testing.TB, ldif string) {
	t.Helper()
	bin := "/usr/bin/ldapmodify"
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run hack/e2e-deps.sh (installs ldap-utils)", bin)
	}
	// -y reads the password from a file: it stays out of the process list.
	pw := writeFile(t, filepath.Join(s.Dir, "ldap-admin.pw"), []byte(ldapRootPW))
	cmd := exec.Command(bin, "-x", "-H", "ldap://"+s.Params.LDAPAddr+"/", "-D", ldapRootDN, "-y", pw)
	cmd.Stdin = strings.NewReader(ldif)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ldapmodify: %v\n%s\n%s", err, out, ldif)
	}
}

// personLDIF is the add record of u under ou=people.
func personLDIF(u ldapUser) string {
	return fmt.Sprintf("dn: uid=%s,ou=people,%s\nchangetype: add\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\nmail: %s\nuserPassword: %s\n\n",
		u.UID, ldapBase, u.UID, u.Name, u.Name, u.Mail, u.Password)
}

// userDN is u's entry.
func userDN(u ldapUser) string { return fmt.Sprintf("uid=%s,ou=people,%s", u.UID, ldapBase) }

// groupDN is the groupOfNames cn.
func groupDN(cn string) string { return fmt.Sprintf("cn=%s,ou=groups,%s", cn, ldapBase) }
