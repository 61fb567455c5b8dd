// Package images is the one place that names the container images and
// versions authstack deploys; the renderer and the end-to-end tiers both read it.
package images

const (
	// DexVersion is the dex release authstack renders and tests.
	DexVersion = "v2.45.1"
	// OAuth2ProxyVersion is the oauth2-proxy release authstack renders and tests.
	OAuth2ProxyVersion = "v7.15.6"

	Dex         = "ghcr.io/dexidp/dex:" + DexVersion
	OAuth2Proxy = "quay.io/oauth2-proxy/oauth2-proxy:" + OAuth2ProxyVersion
)
