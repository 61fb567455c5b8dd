// Package images is the one place that names the container images and
// versions authstack deploys; the renderer and the end-to-end tiers both read it.
package images

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

const (
	// DexVersion is the dex release authstack renders and tests.
	DexVersion = "v2.45.1"
	// OAuth2ProxyVersion is the oauth2-proxy release authstack renders and tests.
	OAuth2ProxyVersion = "v7.15.6"

	Dex         = "ghcr.io/dexidp/dex:" + DexVersion
	OAuth2Proxy = "quay.io/oauth2-proxy/oauth2-proxy:" + OAuth2ProxyVersion
)

// Digests are the sha256 digests of the default images, by reference, used
// when a spec pins digests without writing them. It is empty until a
// release records them from the registry (`crane digest IMAGE` or `docker
// buildx imagetools inspect IMAGE`): a digest that nobody read from the
// registry would pin the wrong bytes, so none is made up here.
var Digests = map[string]string{}

// digestRE is a sha256 digest as the OCI image spec writes it: the
// algorithm, a colon and 64 lower-case hex digits.
var digestRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sha256:[a-f0-9]{64}$`) })

// Digest returns the digest of an image reference ("" when it has none),
// or an error when what follows "@" is not a sha256 digest.
func Digest(ref string) (string, error) {
	_, d, ok := strings.Cut(ref, "@")
	if !ok {
		return "", nil
	}
	if !digestRE().MatchString(d) {
		return "", fmt.Errorf("image %q: %q is not a sha256 digest (sha256: and 64 lower-case hex digits)", ref, d)
	}
	return d, nil
}

// Pin returns ref pinned by digest: unchanged when it carries one, with the
// digest from known appended when known has one for it. Anything else is an
// error naming the image: an unpinned image is never rendered silently.
func Pin(ref string, known map[string]string) (string, error) {
	d, err := Digest(ref)
	if err != nil {
		return "", err
	}
	if d != "" {
		return ref, nil
	}
	if d := known[ref]; d != "" {
		if !digestRE().MatchString(d) {
			return "", fmt.Errorf("image %q: the recorded digest %q is not a sha256 digest", ref, d)
		}
		return ref + "@" + d, nil
	}
	return "", fmt.Errorf("image %q has no digest: write it as %s@sha256:<digest> (the digest `crane digest %s` or `docker buildx imagetools inspect %s` prints)", ref, ref, ref, ref)
}
