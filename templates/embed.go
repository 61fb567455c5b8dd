// Package templates embeds the authstack Helm chart. authstack renders it
// in-process from a typed values struct; the same chart works with plain
// `helm template templates/authstack -f values.yaml`.
package templates

import "embed"

// Chart is the chart directory; paths start with "authstack/".
//
//go:embed all:authstack
var Chart embed.FS

// ChartDir is the chart's directory inside Chart.
const ChartDir = "authstack"
