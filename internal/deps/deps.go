//go:build tools

// Package deps pins modules that parts of authstack under construction use,
// so that parallel work does not race on go.mod. Remove an import once real
// code imports the module.
package deps

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/coreos/go-oidc/v3/oidc"
)
