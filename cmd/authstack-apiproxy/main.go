// Command authstack-apiproxy is an authenticating, impersonating proxy in
// front of Kubernetes API servers whose OIDC flags cannot be set (package
// pkg/apiproxy).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/authstack/authstack/pkg/apiproxy"
)

func main() {
	opts := apiproxy.DefaultOptions()
	fs := pflag.NewFlagSet("authstack-apiproxy", pflag.ContinueOnError)
	opts.AddFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := apiproxy.Run(ctx, opts, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "authstack-apiproxy:", err)
		os.Exit(1)
	}
}
