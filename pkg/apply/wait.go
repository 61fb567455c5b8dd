package apply

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// waitDeployments waits until every Deployment of the stack is Available,
// one line per Deployment, for at most opts.Timeout in total.
func (a *applier) waitDeployments(ctx context.Context, items []*item) error {
	timeout := a.opts.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var deps []*item
	for _, it := range items {
		if it.obj.GetKind() == "Deployment" && it.obj.GroupVersionKind().Group == "apps" {
			deps = append(deps, it)
		}
	}
	var mu sync.Mutex // one writer to the log at a time
	frame := 0
	for _, it := range deps {
		name := "deployment/" + it.obj.GetName() + " -n " + it.obj.GetNamespace()
		if !a.opts.Progress {
			fmt.Fprintf(a.opts.Log, "waiting for %s to be available\n", name)
		}
		start := time.Now()
		err := poll(ctx, timeout, 500*time.Millisecond, func() (bool, error) {
			d, err := a.kube.AppsV1().Deployments(it.obj.GetNamespace()).Get(ctx, it.obj.GetName(), metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			if a.opts.Progress {
				mu.Lock()
				fmt.Fprintf(a.opts.Log, "\r%s waiting for %s (%d/%d ready)\033[K", spinnerFrames[frame%len(spinnerFrames)], name, d.Status.ReadyReplicas, replicas(d))
				frame++
				mu.Unlock()
			}
			return available(d), nil
		}, name+" to be available")
		if err != nil {
			if a.opts.Progress {
				fmt.Fprintf(a.opts.Log, "\r✗ %s\033[K\n", name)
			}
			return fmt.Errorf("wait: %w; see kubectl -n %s describe deployment %s", err, it.obj.GetNamespace(), it.obj.GetName())
		}
		took := time.Since(start).Round(100 * time.Millisecond)
		if a.opts.Progress {
			fmt.Fprintf(a.opts.Log, "\r✓ %s available after %s\033[K\n", name, took)
		} else {
			fmt.Fprintf(a.opts.Log, "%s available after %s\n", name, took)
		}
	}
	return nil
}

func replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

func available(d *appsv1.Deployment) bool {
	if d.Status.ObservedGeneration < d.Generation {
		return false
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
