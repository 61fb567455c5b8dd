package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/version"
	"github.com/authstack/authstack/pkg/images"
)

func newVersion(streams IO) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the authstack version and the versions it deploys",
		Long: `Print the authstack version and the versions of dex and oauth2-proxy it deploys.

With -o json it also prints the Go toolchain and every module compiled into
the binary, from the build information Go embeds, for matching a security
advisory against a released binary.`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			switch output {
			case "text":
				fmt.Fprintf(streams.Out, "authstack %s\ndex %s\noauth2-proxy %s\n", version.Get(), images.DexVersion, images.OAuth2ProxyVersion)
				return nil
			case "json":
				info := version.Read(map[string]string{"dex": images.DexVersion, "oauth2-proxy": images.OAuth2ProxyVersion})
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			default:
				return fmt.Errorf("--output %q: want text or json", output)
			}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	completeWith(cmd, "output", "text", "json")
	return cmd
}
