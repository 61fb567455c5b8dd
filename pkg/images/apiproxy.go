package images

import (
	"strings"

	"github.com/authstack/authstack/internal/version"
)

// APIProxyRepository is the image of authstack-apiproxy, built from this
// module (cmd/authstack-apiproxy) and released with authstack itself.
const APIProxyRepository = "ghcr.io/authstack/authstack-apiproxy"

// APIProxy is the proxy image of this authstack build: the release tag of
// the binary that renders it, so render and proxy always match.
func APIProxy() string { return APIProxyRepository + ":" + imageTag(version.Get()) }

// imageTag makes a version an image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127},
// github.com/distribution/reference): the version Go stamps into a build
// from a modified checkout ends in "+dirty", which no registry accepts.
func imageTag(v string) string {
	t := strings.Map(func(r rune) rune {
		if r == '_' || r == '.' || r == '-' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '-'
	}, v)
	if t == "" || t[0] == '.' || t[0] == '-' {
		t = "v" + t
	}
	if len(t) > 128 {
		t = t[:128]
	}
	return t
}
