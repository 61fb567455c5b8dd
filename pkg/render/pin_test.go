package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authstack/authstack/pkg/images"
	"github.com/authstack/authstack/pkg/secrets"
)

// With pinDigests every rendered container image carries a sha256 digest.
func TestPinDigestsPinsEveryImage(t *testing.T) {
	res := renderedStacks(t)["all-features"]
	n := 0
	for _, o := range res.Objects {
		tpl := podTemplate(t, o.Object)
		if tpl == nil {
			continue
		}
		for _, c := range tpl.Spec.Containers {
			n++
			if d, err := images.Digest(c.Image); err != nil || d == "" {
				t.Errorf("%s %s/%s runs %s, not pinned by digest (%v)", o.Object.GetKind(), o.Object.GetNamespace(), o.Object.GetName(), c.Image, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no container rendered")
	}
}

func TestPinDigestsRefusals(t *testing.T) {
	exampleEnv(t)
	digest := "@sha256:" + strings.Repeat("c", 64)
	kustomizeDir := t.TempDir()
	// A kustomization that swaps dex's image for one without a digest.
	if err := os.WriteFile(filepath.Join(kustomizeDir, "kustomization.yaml"), []byte(
		"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n- name: ghcr.io/dexidp/dex\n  newName: registry.example.com/dex\n  newTag: v2.45.1\n  digest: \"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		pin       bool
		dex       string
		proxy     string
		kustomize string
		want      string
	}{
		{name: "default image without a known digest", pin: true, proxy: images.OAuth2Proxy + digest,
			want: `spec.images.dex: image "` + images.Dex + `" has no digest: write it as ` + images.Dex + "@sha256:<digest>"},
		{name: "user image without digest", pin: true, dex: images.Dex + digest, proxy: "quay.io/oauth2-proxy/oauth2-proxy:latest",
			want: `spec.images.oauth2Proxy: image "quay.io/oauth2-proxy/oauth2-proxy:latest" has no digest`},
		{name: "malformed digest without pinning", dex: images.Dex + "@sha256:1234",
			want: `spec.images.dex: image "` + images.Dex + `@sha256:1234": "sha256:1234" is not a sha256 digest`},
		{name: "a kustomization unpins an image", pin: true, dex: images.Dex + digest, proxy: images.OAuth2Proxy + digest, kustomize: kustomizeDir,
			want: `spec.images.pinDigests is true, but Deployment dex/dex container dex: image "registry.example.com/dex:v2.45.1" has no digest`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := load(t, "kind")
			s.Spec.Images.PinDigests = c.pin
			if c.dex != "" {
				s.Spec.Images.Dex = c.dex
			}
			if c.proxy != "" {
				s.Spec.Images.OAuth2Proxy = c.proxy
			}
			_, err := Render(s, Options{Secrets: secrets.Fixed{}, KustomizeDir: c.kustomize})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}
