//go:build e2e_kind

// Command imagenames prints, as shell assignments, the image names the
// renderer writes (pkg/images), so hack/kind builds or pulls exactly those.
package main

import (
	"fmt"

	"github.com/authstack/authstack/pkg/images"
)

func main() {
	fmt.Printf("DEX_IMAGE=%s\nOAUTH2_PROXY_IMAGE=%s\nAPIPROXY_IMAGE=%s\n", images.Dex, images.OAuth2Proxy, images.APIProxy())
}
