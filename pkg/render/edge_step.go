package render

import "github.com/authstack/authstack/pkg/render/edge"

// edgeFile holds edge objects of no one app.
const edgeFile = "manifests/edge.yaml"

// edge renders the routes and auth objects of an edge provider other than
// ingress-nginx (whose Ingresses come from the chart); the one dispatch
// point between providers is edge.Render.
func (r *renderer) edge() error {
	objs, err := edge.Render(edge.Input{
		Spec:     r.spec,
		Labels:   r.labels,
		DexFile:  dexFile,
		AppFile:  func(app string) string { return "manifests/oauth2-proxy-" + app + ".yaml" },
		EdgeFile: edgeFile,
	})
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := r.add(o.File, o.Object); err != nil {
			return err
		}
	}
	return nil
}
