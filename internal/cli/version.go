package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/version"
	"github.com/authstack/authstack/pkg/images"
)

func newVersion(streams IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the authstack version and the versions it deploys",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(streams.Out, "authstack %s\ndex %s\noauth2-proxy %s\n", version.Get(), images.DexVersion, images.OAuth2ProxyVersion)
			return nil
		},
	}
}
