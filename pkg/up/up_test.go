package up

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster/nodes"

	"github.com/authstack/authstack/pkg/config"
)

// fakeKind records what up and down ask of kind.
type fakeKind struct {
	clusters  []string
	createErr error
	created   []*v1alpha4.Cluster
	deleted   []string // name@kubeconfig
}

func (k *fakeKind) List() ([]string, error) { return k.clusters, nil }
func (k *fakeKind) Create(cfg *v1alpha4.Cluster, _, _ string) error {
	k.created = append(k.created, cfg)
	return k.createErr
}
func (k *fakeKind) Delete(name, kubeconfig string) error {
	k.deleted = append(k.deleted, name+"@"+kubeconfig)
	return nil
}
func (k *fakeKind) ControlPlane(string) (nodes.Node, error) { return nil, errors.New("no nodes") }

type fakeDocker struct {
	networks map[string][]string // name -> attached containers
	removed  []string
}

func (d *fakeDocker) NetworkExists(name string) (bool, error) {
	_, ok := d.networks[name]
	return ok, nil
}
func (d *fakeDocker) NetworkContainers(name string) ([]string, error) {
	return d.networks[name], nil
}
func (d *fakeDocker) RemoveNetwork(name string) error {
	d.removed = append(d.removed, name)
	delete(d.networks, name)
	return nil
}
func (d *fakeDocker) LoadImages(nodes.Node, []string) error { return nil }

func TestDownDeletesExactlyWhatUpCreated(t *testing.T) {
	for _, c := range []struct {
		name           string
		state          *State
		networks       map[string][]string
		wantErr        string
		wantDeleted    []string
		wantRemovedNet []string
		wantStateGone  bool
	}{{
		name:           "up created the network and nothing else uses it",
		state:          &State{Cluster: "demo", Kubeconfig: "/home/u/.kube/config", Network: "kind", CreatedNetwork: true},
		networks:       map[string][]string{"kind": nil},
		wantDeleted:    []string{"demo@/home/u/.kube/config"},
		wantRemovedNet: []string{"kind"},
		wantStateGone:  true,
	}, {
		name:          "up created the network but another cluster uses it now",
		state:         &State{Cluster: "demo", Kubeconfig: "/k", Network: "kind", CreatedNetwork: true},
		networks:      map[string][]string{"kind": {"other-control-plane"}},
		wantDeleted:   []string{"demo@/k"},
		wantStateGone: true,
	}, {
		name:          "the network was there before up",
		state:         &State{Cluster: "demo", Kubeconfig: "/k", Network: "kind"},
		networks:      map[string][]string{"kind": nil},
		wantDeleted:   []string{"demo@/k"},
		wantStateGone: true,
	}, {
		name:     "up never created the cluster",
		networks: map[string][]string{"kind": nil},
		wantErr:  "authstack up created no cluster demo",
	}, {
		name:     "the state names another cluster",
		state:    &State{Cluster: "other", Kubeconfig: "/k", Network: "kind", CreatedNetwork: true},
		networks: map[string][]string{"kind": nil},
		wantErr:  `records cluster "other", not "demo"`,
	}} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "demo")
			if c.state != nil {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := writeState(dir, *c.state); err != nil {
					t.Fatal(err)
				}
			}
			k, d := &fakeKind{}, &fakeDocker{networks: c.networks}
			err := (&Down{Kind: k, Docker: d, Log: &bytes.Buffer{}}).Do("demo", dir)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, c.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if strings.Join(k.deleted, ",") != strings.Join(c.wantDeleted, ",") {
				t.Errorf("deleted clusters %v, want %v", k.deleted, c.wantDeleted)
			}
			if strings.Join(d.removed, ",") != strings.Join(c.wantRemovedNet, ",") {
				t.Errorf("removed networks %v, want %v", d.removed, c.wantRemovedNet)
			}
			_, statErr := os.Stat(dir)
			if gone := errors.Is(statErr, os.ErrNotExist); gone != c.wantStateGone && c.state != nil {
				t.Errorf("state directory removed: %v, want %v", gone, c.wantStateGone)
			}
		})
	}
}

func TestUpNeverTouchesAClusterItDidNotCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	k := &fakeKind{clusters: []string{"demo"}}
	_, err := (&Up{Kind: k, Docker: &fakeDocker{}, Log: &bytes.Buffer{}}).Do(context.Background(), Input{Name: "demo", StateDir: dir, Network: "kind"})
	if err == nil || !strings.Contains(err.Error(), "authstack up did not create it") {
		t.Fatalf("got %v, want a refusal", err)
	}
	if len(k.created)+len(k.deleted) > 0 {
		t.Errorf("kind was asked to create %d and delete %v", len(k.created), k.deleted)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("up left a state directory for a cluster it did not create: %v", err)
	}
}

func TestUpRefusesASpecItCannotRunOnKind(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "authstack.yaml")
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "kind", "authstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, bytes.Replace(data, []byte("installer: kind"), []byte("installer: kubeadm"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(spec), "example-ca.crt"), mustRead(t, "../../examples/kind/example-ca.crt"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "demo")
	k := &fakeKind{}
	_, err = (&Up{Kind: k, Docker: &fakeDocker{}, Log: &bytes.Buffer{}}).Do(context.Background(), Input{SpecFile: spec, Name: "demo", StateDir: dir, Network: "kind"})
	if err == nil || !strings.Contains(err.Error(), "needs installer: kind") || !strings.Contains(err.Error(), spec) {
		t.Fatalf("got %v, want an error naming the file and spec.cluster.installer", err)
	}
	if len(k.created) > 0 {
		t.Error("a cluster was created for a spec up refuses")
	}
}

// TestUpRecordsItsStateBeforeCreating: when kind fails halfway, down must
// still know what to remove, and the error says so.
func TestUpRecordsItsStateBeforeCreating(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	k := &fakeKind{createErr: errors.New("boom")}
	var log bytes.Buffer
	_, err := (&Up{Kind: k, Docker: &fakeDocker{networks: map[string][]string{}}, Log: &log}).Do(context.Background(),
		Input{Name: "demo", StateDir: dir, Network: "kind", Kubeconfig: "/k", Images: Images{Local: true}})
	if err == nil || !strings.Contains(err.Error(), "authstack down --name demo") {
		t.Fatalf("got %v, want the create error pointing at authstack down", err)
	}
	st, err := readState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := (State{Cluster: "demo", Kubeconfig: "/k", Network: "kind", CreatedNetwork: true}); st != want {
		t.Errorf("state %+v, want %+v", st, want)
	}
	// What kind was given: the rendered config, adapted.
	if len(k.created) != 1 {
		t.Fatalf("kind create called %d times", len(k.created))
	}
	cfg := k.created[0]
	if cfg.Name != "demo" || !cfg.Networking.DisableDefaultCNI {
		t.Errorf("cluster name %q, disableDefaultCNI %v; want demo, true for the local node image", cfg.Name, cfg.Networking.DisableDefaultCNI)
	}
	cp := cfg.Nodes[0]
	for _, m := range cp.ExtraMounts {
		if !filepath.IsAbs(m.HostPath) {
			t.Errorf("mount %s is relative: kind resolves it from the working directory", m.HostPath)
		} else if _, err := os.Stat(m.HostPath); err != nil {
			t.Errorf("mount %s: %v", m.HostPath, err)
		}
	}
	var https []v1alpha4.PortMapping
	for _, m := range cp.ExtraPortMappings {
		if m.HostPort == 443 {
			https = append(https, m)
		}
	}
	if len(https) != 1 || https[0].ListenAddress != "127.0.0.1" || https[0].ContainerPort != 443 {
		t.Errorf("port mappings for host port 443: %+v, want one on 127.0.0.1 to 443", https)
	}
	// Secrets stay in the state directory, readable by the user only.
	for _, f := range []string{usersFile, edgeKeyFile, secretsName, stateFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
		} else if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want no access for group and others", f, fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode %v, want 0700", fi.Mode().Perm())
	}
}

// TestUpSaysWhatItChangesInTheUsersSpec: the edge's certificate comes from
// up's CA, so the spec's caFile cannot stay; that is said, not done silently.
func TestUpSaysWhatItChangesInTheUsersSpec(t *testing.T) {
	spec, err := filepath.Abs(filepath.Join("..", "..", "examples", "kind", "authstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "dev")
	var log bytes.Buffer
	_, err = (&Up{Kind: &fakeKind{createErr: errors.New("stop here")}, Docker: &fakeDocker{}, Log: &log}).Do(context.Background(),
		Input{SpecFile: spec, Name: "dev", StateDir: dir, Network: "kind", Kubeconfig: "/k"})
	if err == nil {
		t.Fatal("the fake create error was lost")
	}
	if want := "spec.issuer.dex.caFile example-ca.crt is replaced on this cluster by the CA up made for the edge"; !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, log.String())
	}
	if _, err := os.Stat(filepath.Join(dir, usersFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("up wrote a users file for a spec whose passwords it does not know: %v", err)
	}
}

func TestKindConfigKeepsAnExistingHTTPSMapping(t *testing.T) {
	data := []byte(`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
- role: control-plane
  extraPortMappings:
  - containerPort: 443
    hostPort: 443
`)
	cfg, err := kindConfig(data, "demo", "/out", false)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cfg.Nodes[0].ExtraPortMappings); n != 1 {
		t.Errorf("%d port mappings, want the rendered one only", n)
	}
	if cfg.Networking.DisableDefaultCNI {
		t.Error("the stock node image needs kind's CNI")
	}
	if _, err := kindConfig([]byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  bogus: 1\n"), "d", "/o", false); err == nil {
		t.Error("an unknown field in the rendered kind config was accepted")
	}
}

func TestDemoUsersHaveFreshPasswordsKeptPrivate(t *testing.T) {
	dir := t.TempDir()
	users, err := demoUsers()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := demoUsers()
	spec, err := writeDemo(dir, "demo", users)
	if err != nil {
		t.Fatal(err)
	}
	data := mustRead(t, spec)
	for i, u := range users {
		if len(u.Password) < 12 || u.Password == again[i].Password {
			t.Errorf("user %s: password %q is short or not fresh", u.Email, u.Password)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(u.Hash), []byte(u.Password)); err != nil {
			t.Errorf("user %s: hash does not match the password: %v", u.Email, err)
		}
		if bytes.Contains(data, []byte(u.Password)) {
			t.Errorf("the demo spec holds %s's password in clear", u.Email)
		}
	}
	stack, err := config.LoadFile(spec)
	if err != nil {
		t.Fatalf("the demo spec does not load: %v", err)
	}
	if got := len(stack.Spec.Issuer.Dex.Connectors[0].Static.Users); got != len(users) {
		t.Errorf("demo spec has %d static users, want %d", got, len(users))
	}
	if modes := demoApps(&stack.Spec); len(modes) != 2 || modes[0].Mode == modes[1].Mode {
		t.Errorf("demo apps %+v, want one per identity mode", modes)
	}
}

func TestSummaryPrintsURLsUsersAndTheLoginCommand(t *testing.T) {
	s := &Summary{
		Cluster: "demo", Issuer: "https://dex.127.0.0.1.nip.io",
		Apps:       []AppURL{{Name: "whoami", URL: "https://whoami.127.0.0.1.nip.io/", Identity: "token"}},
		Users:      []User{{Email: "alice@example.com", Password: "s3cret-demo", Group: "developers"}, {Email: "carol@example.com"}},
		UsersFile:  "/st/users.txt",
		CAFile:     "/st/ca.crt",
		Kubeconfig: "/st/kubeconfig",
		Namespace:  "apps",
	}
	got := s.String()
	for _, want := range []string{
		"https://whoami.127.0.0.1.nip.io/  (identity: token)",
		"alice@example.com    password s3cret-demo  group developers",
		"carol@example.com    (password as in your spec)",
		"kubectl --kubeconfig /st/kubeconfig get pods -n apps",
		"authstack down --name demo",
		"/st/ca.crt",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
}

func TestResolveImages(t *testing.T) {
	dir := t.TempDir()
	env := `AUTHSTACK_E2E_KIND_IMAGE_SOURCE=local
AUTHSTACK_E2E_KIND_NODE_IMAGE=authstack-e2e/node:v1
AUTHSTACK_E2E_KIND_APP_IMAGE=authstack-e2e/testapp:dev
AUTHSTACK_E2E_KIND_EDGE_IMAGE=authstack-e2e/edge-nginx:bookworm
AUTHSTACK_E2E_KIND_IMAGES_TO_LOAD="a:1 b:2"
AUTHSTACK_E2E_KIND_NETPOL_IMAGE=authstack-e2e/kube-network-policies:v0.8.0
`
	if err := os.WriteFile(filepath.Join(dir, "images.env"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	im, err := ResolveImages(dir, "", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if im.Node != "authstack-e2e/node:v1" || im.App != "authstack-e2e/edge-nginx:bookworm" || !im.Local || strings.Join(im.Load, " ") != "a:1 b:2" ||
		im.NetworkPolicy != "authstack-e2e/kube-network-policies:v0.8.0" {
		t.Errorf("from images.env: %+v", im)
	}
	// The local node image enforces no NetworkPolicy by itself: without
	// the enforcer up refuses rather than run a stack pods can bypass.
	noNetpol := strings.Replace(env, "AUTHSTACK_E2E_KIND_NETPOL_IMAGE=authstack-e2e/kube-network-policies:v0.8.0\n", "", 1)
	if err := os.WriteFile(filepath.Join(dir, "images.env"), []byte(noNetpol), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveImages(dir, "", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "AUTHSTACK_E2E_KIND_NETPOL_IMAGE") {
		t.Errorf("local images without the NetworkPolicy enforcer: got %v, want a refusal naming AUTHSTACK_E2E_KIND_NETPOL_IMAGE", err)
	}
	im, err = ResolveImages("", "my/node:1", func(string) string { return "" })
	if err != nil || im.Node != "my/node:1" || im.Edge != StockEdgeImage || im.App != StockEdgeImage || im.Local || len(im.Load) > 0 {
		t.Errorf("stock with --node-image: %+v %v", im, err)
	}
	if _, err := ResolveImages("env", "", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "AUTHSTACK_E2E_KIND_EDGE_IMAGE") {
		t.Errorf("env without the variables: got %v, want the missing names", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// takenListen is net.Listen on a machine where 127.0.0.1:6443 is taken
// (another kind cluster), recording what up asked for.
type takenListen struct{ asked []string }

func (l *takenListen) listen(network, addr string) (net.Listener, error) {
	l.asked = append(l.asked, addr)
	if addr == "127.0.0.1:6443" {
		return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	}
	return net.Listen(network, addr)
}

// TestUpPicksAFreeAPIServerPortUnlessTheSpecNamesOne: with 6443 taken, the
// demo (no cluster.server) gets a free port, written alike into the kind
// config and the rendered kubeconfig; a spec naming a taken port is refused
// before anything is created, naming the file and the field.
func TestUpPicksAFreeAPIServerPortUnlessTheSpecNamesOne(t *testing.T) {
	t.Run("demo", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "demo")
		k := &fakeKind{createErr: errors.New("stop here")}
		l := &takenListen{}
		_, err := (&Up{Kind: k, Docker: &fakeDocker{}, Log: &bytes.Buffer{}, Listen: l.listen}).Do(context.Background(),
			Input{Name: "demo", StateDir: dir, Network: "kind", Kubeconfig: "/k"})
		if err == nil || len(k.created) != 1 {
			t.Fatalf("got %v and %d creates, want the fake create error after one create", err, len(k.created))
		}
		if strings.Join(l.asked, ",") != "127.0.0.1:0" {
			t.Errorf("up asked for %v, want one free port (127.0.0.1:0)", l.asked)
		}
		nw := k.created[0].Networking
		if nw.APIServerAddress != "127.0.0.1" || nw.APIServerPort == 0 || nw.APIServerPort == 6443 {
			t.Fatalf("kind config binds the API server to %s:%d, want a free port of 127.0.0.1 other than the taken 6443", nw.APIServerAddress, nw.APIServerPort)
		}
		want := fmt.Sprintf("server: https://127.0.0.1:%d\n", nw.APIServerPort)
		kc := mustRead(t, filepath.Join(dir, outDir, "kubeconfig.yaml"))
		if !strings.Contains(string(kc), want) {
			t.Errorf("rendered kubeconfig lacks %q:\n%s", want, kc)
		}
	})
	for _, c := range []struct {
		name, server, wantErr string
		wantPort              int32
	}{
		{name: "explicit and taken", server: "https://127.0.0.1:6443",
			wantErr: "spec.cluster.server is https://127.0.0.1:6443, but 127.0.0.1:6443 is already in use on this machine"},
		{name: "explicit and free", server: "https://127.0.0.1:%d", wantPort: -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			server := c.server
			if c.wantPort == -1 {
				// A port free now: listen, note it, close.
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				c.wantPort = int32(ln.Addr().(*net.TCPAddr).Port)
				ln.Close()
				server = fmt.Sprintf(server, c.wantPort)
			}
			spec := kindSpecWith(t, "installer: kind", "installer: kind\n    server: "+server)
			dir := filepath.Join(t.TempDir(), "demo")
			k := &fakeKind{createErr: errors.New("stop here")}
			l := &takenListen{}
			_, err := (&Up{Kind: k, Docker: &fakeDocker{}, Log: &bytes.Buffer{}, Listen: l.listen}).Do(context.Background(),
				Input{SpecFile: spec, Name: "demo", StateDir: dir, Network: "kind", Kubeconfig: "/k"})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), spec) {
					t.Fatalf("got %v, want an error naming %s and %q", err, spec, c.wantErr)
				}
				if len(k.created) > 0 {
					t.Error("kind was asked to create a cluster on a taken port")
				}
				if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("state directory left after the refusal: %v", err)
				}
				return
			}
			if len(k.created) != 1 {
				t.Fatalf("got %v and %d creates", err, len(k.created))
			}
			if got := k.created[0].Networking.APIServerPort; got != c.wantPort {
				t.Errorf("kind config binds port %d, want the spec's %d", got, c.wantPort)
			}
		})
	}
}

// kindSpecWith copies examples/kind (spec and CA) into a temporary
// directory with old replaced by new in the spec, and returns the spec's
// path.
func kindSpecWith(t *testing.T, old, new string) string {
	t.Helper()
	dir := t.TempDir()
	data := mustRead(t, filepath.Join("..", "..", "examples", "kind", "authstack.yaml"))
	changed := bytes.Replace(data, []byte(old), []byte(new), 1)
	if bytes.Equal(changed, data) {
		t.Fatalf("examples/kind/authstack.yaml has no %q", old)
	}
	spec := filepath.Join(dir, "authstack.yaml")
	if err := os.WriteFile(spec, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "example-ca.crt"), mustRead(t, "../../examples/kind/example-ca.crt"), 0o644); err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestStateFilesAreNeverWrittenThroughALink: a link planted in the state
// directory where up writes its state, the demo users or the edge key makes
// the write fail; the file the link points to keeps its content.
func TestStateFilesAreNeverWrittenThroughALink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{stateFile, usersFile, edgeKeyFile} {
		link := filepath.Join(dir, name)
		if err := os.Symlink(victim, link); err != nil {
			t.Fatal(err)
		}
		if err := writeFile(link, []byte("new"), 0o600); err == nil {
			t.Errorf("%s: written through a link", name)
		}
		if err := os.Remove(link); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeState(dir, State{Cluster: "c"}); err != nil {
		t.Fatalf("a plain state file: %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("the link's target now holds %q", b)
	}
	if fi, err := os.Stat(filepath.Join(dir, stateFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, %v", fi, err)
	}
}
