package render

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/authstack/authstack/pkg/images"
)

// PodTemplate returns the pod an object runs (the template of a Deployment,
// StatefulSet, DaemonSet, ReplicaSet, Job or CronJob, or a Pod itself), or
// nil for an object that runs none.
func PodTemplate(u *unstructured.Unstructured) (*corev1.PodTemplateSpec, error) {
	of := podTemplates[u.GroupVersionKind().GroupKind()]
	if of == nil {
		return nil, nil
	}
	return of(u)
}

// podTemplates says, for each kind that runs a pod, where its template sits.
var podTemplates = map[schema.GroupKind]func(*unstructured.Unstructured) (*corev1.PodTemplateSpec, error){
	{Group: "apps", Kind: "Deployment"}:  templateAt(func(o *appsv1.Deployment) *corev1.PodTemplateSpec { return &o.Spec.Template }),
	{Group: "apps", Kind: "StatefulSet"}: templateAt(func(o *appsv1.StatefulSet) *corev1.PodTemplateSpec { return &o.Spec.Template }),
	{Group: "apps", Kind: "DaemonSet"}:   templateAt(func(o *appsv1.DaemonSet) *corev1.PodTemplateSpec { return &o.Spec.Template }),
	{Group: "apps", Kind: "ReplicaSet"}:  templateAt(func(o *appsv1.ReplicaSet) *corev1.PodTemplateSpec { return &o.Spec.Template }),
	{Group: "batch", Kind: "Job"}:        templateAt(func(o *batchv1.Job) *corev1.PodTemplateSpec { return &o.Spec.Template }),
	{Group: "batch", Kind: "CronJob"}:    templateAt(func(o *batchv1.CronJob) *corev1.PodTemplateSpec { return &o.Spec.JobTemplate.Spec.Template }),
	{Kind: "Pod"}: templateAt(func(o *corev1.Pod) *corev1.PodTemplateSpec {
		return &corev1.PodTemplateSpec{ObjectMeta: o.ObjectMeta, Spec: o.Spec}
	}),
}

// templateAt converts an object to its typed struct T and returns the pod
// template at says it holds.
func templateAt[T any](at func(*T) *corev1.PodTemplateSpec) func(*unstructured.Unstructured) (*corev1.PodTemplateSpec, error) {
	return func(u *unstructured.Unstructured) (*corev1.PodTemplateSpec, error) {
		var o T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &o); err != nil {
			return nil, fmt.Errorf("%s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
		return at(&o), nil
	}
}

// images resolves the images of the stack, pinned by digest when the spec
// asks for it; a malformed digest is an error either way.
func (r *renderer) images() error {
	p := field.NewPath("spec", "images")
	for _, im := range []struct {
		name string
		ref  string
		out  *string
	}{
		{"dex", r.spec.Images.Dex, &r.dexImage},
		{"oauth2Proxy", r.spec.Images.OAuth2Proxy, &r.proxyImage},
	} {
		ref := im.ref
		var err error
		if r.spec.Images.PinDigests {
			ref, err = images.Pin(ref, images.Digests)
		} else {
			_, err = images.Digest(ref)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p.Child(im.name), err)
		}
		*im.out = ref
	}
	return nil
}

// checkPinned refuses, when the spec pins digests, any rendered container
// image without one: whatever put it there (a kustomization included).
func (r *renderer) checkPinned() error {
	if !r.spec.Images.PinDigests {
		return nil
	}
	for _, o := range r.objects {
		tpl, err := PodTemplate(o.Object)
		if err != nil {
			return err
		}
		if tpl == nil {
			continue
		}
		cs := append(append(append([]corev1.Container(nil), tpl.Spec.InitContainers...), tpl.Spec.Containers...), ephemeral(tpl.Spec.EphemeralContainers)...)
		for _, c := range cs {
			d, err := images.Digest(c.Image)
			if err == nil && d == "" {
				err = fmt.Errorf("image %q has no digest", c.Image)
			}
			if err != nil {
				return fmt.Errorf("spec.images.pinDigests is true, but %s %s/%s container %s: %w", o.Object.GetKind(), o.Object.GetNamespace(), o.Object.GetName(), c.Name, err)
			}
		}
	}
	return nil
}

func ephemeral(ecs []corev1.EphemeralContainer) []corev1.Container {
	out := make([]corev1.Container, 0, len(ecs))
	for _, e := range ecs {
		out = append(out, corev1.Container{Name: e.Name, Image: e.Image})
	}
	return out
}
