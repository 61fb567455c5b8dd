package apply

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/testenv"
	"github.com/authstack/authstack/pkg/render"
	"github.com/authstack/authstack/pkg/secrets"
)

// workloads is what decides whether Pods restart: each Deployment's
// generation and pod template, its ReplicaSets and their Pods' UIDs.
type workloads map[string]string

func observe(t *testing.T, kube kubernetes.Interface) workloads {
	t.Helper()
	ctx := context.Background()
	w := workloads{}
	deps, err := kube.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps.Items {
		tmpl, err := yaml.Marshal(d.Spec.Template)
		if err != nil {
			t.Fatal(err)
		}
		w["deployment "+d.Namespace+"/"+d.Name] = "generation " + strconv.FormatInt(d.Generation, 10) + "\n" + string(tmpl)
	}
	rss, err := kube.AppsV1().ReplicaSets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range rss.Items {
		w["replicaset "+rs.Namespace+"/"+rs.Name] = string(rs.UID)
	}
	pods, err := kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		w["pod "+p.Namespace+"/"+p.Name] = string(p.UID)
	}
	return w
}

// podsUp waits until every Deployment has a ReplicaSet with its Pods.
func podsUp(t *testing.T, kube kubernetes.Interface, deps []appsv1.Deployment) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		w := observe(t, kube)
		missing := ""
		for _, d := range deps {
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			n := int32(0)
			for k := range w {
				if strings.HasPrefix(k, "pod "+d.Namespace+"/"+d.Name+"-") {
					n++
				}
			}
			if n < want {
				missing = d.Namespace + "/" + d.Name
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Deployment %s has no Pods yet", missing)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A stack that runs already, applied without authstack's ApplySet (render
// piped into kubectl apply, or a GitOps tool), is taken over with
// --adopt: the objects become members, and no Pod restarts, since no pod
// template changes: same Deployment generation, no new ReplicaSet, the
// same Pod UIDs.
func TestIntegrationAdoptRestartsNoPod(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd, kube-apiserver and kube-controller-manager; skipped with -short")
	}
	env := testenv.Start(t, testenv.Options{ControllerManager: true, Controllers: []string{"deployment", "replicaset"}})
	kube := kubernetes.NewForConfigOrDie(env.Config)
	if _, stderr, err := env.Kubectl(t, "", "create", "namespace", "apps"); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	stack := loadExample(t, "kind")
	dir := t.TempDir()
	local := filepath.Join(dir, "authstack.secrets.yaml")
	// authstack render keeps the generated secrets in its local file, and
	// apply takes them from there: the adopted configs stay the same.
	store := &secrets.FileStore{Path: local, Dir: stack.Dir, Warn: &bytes.Buffer{}}
	res, err := render.Render(stack, render.Options{Secrets: store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Save(); err != nil {
		t.Fatal(err)
	}
	var stream bytes.Buffer
	for _, o := range res.Objects {
		data, err := yaml.Marshal(o.Object.Object)
		if err != nil {
			t.Fatal(err)
		}
		stream.WriteString("---\n")
		stream.Write(data)
	}
	manifest := filepath.Join(dir, "stack.yaml")
	if err := os.WriteFile(manifest, stream.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := env.Kubectl(t, "", "apply", "--server-side", "--field-manager=kubectl", "-f", manifest); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, stderr)
	}
	deps, err := kube.AppsV1().Deployments("").List(context.Background(), metav1.ListOptions{})
	if err != nil || len(deps.Items) == 0 {
		t.Fatalf("no Deployments after kubectl apply: %v", err)
	}
	podsUp(t, kube, deps.Items)
	before := observe(t, kube)

	_, _, log := run(t, env.Config, stack, Options{Adopt: true, SecretsFile: local})
	// Let the deployment controller act on whatever apply changed.
	time.Sleep(2 * time.Second)
	after := observe(t, kube)
	var changed []string
	for k, v := range before {
		if after[k] != v {
			changed = append(changed, k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			changed = append(changed, k+" (new)")
		}
	}
	sort.Strings(changed)
	if len(changed) > 0 {
		t.Errorf("adopting restarted Pods or changed their templates: %s\napply log:\n%s", strings.Join(changed, ", "), log)
	}
	for _, d := range deps.Items {
		got, err := kube.AppsV1().Deployments(d.Namespace).Get(context.Background(), d.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Labels[LabelPartOf] != parentID(stack.Metadata.Name) {
			t.Errorf("Deployment %s/%s is not a member after --adopt (labels %v)", d.Namespace, d.Name, got.Labels)
		}
		if !appliedBy(got.ManagedFields, "authstack") {
			t.Errorf("Deployment %s/%s: authstack owns no field after --adopt (managers %v)", d.Namespace, d.Name, managers(got.ManagedFields))
		}
	}
}
