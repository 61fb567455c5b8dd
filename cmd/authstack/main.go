// Command authstack installs and troubleshoots single sign-on for Kubernetes.
package main

import (
	"os"

	"github.com/authstack/authstack/internal/cli"
	"github.com/authstack/authstack/internal/startup"
)

func main() {
	// Package initialisation ran with the collector off (internal/startup).
	startup.Done()
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
