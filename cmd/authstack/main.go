// Command authstack installs and troubleshoots single sign-on for Kubernetes.
package main

import (
	"os"

	"github.com/authstack/authstack/internal/startup"

	"github.com/authstack/authstack/internal/cli"
)

func main() {
	startup.Done()
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
