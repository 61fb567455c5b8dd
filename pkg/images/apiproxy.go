package images

import "github.com/authstack/authstack/internal/version"

// APIProxyRepository is the image of authstack-apiproxy, built from this
// module (cmd/authstack-apiproxy) and released with authstack itself.
const APIProxyRepository = "ghcr.io/authstack/authstack-apiproxy"

// APIProxy is the proxy image of this authstack build: the release tag of
// the binary that renders it, so render and proxy always match.
func APIProxy() string { return APIProxyRepository + ":" + version.Get() }
