package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/pkg/config"
)

func newValidate(streams IO) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:     "validate",
		Short:   "Check an authstack.yaml and report every problem with its field path",
		Example: `  authstack validate -f authstack.yaml`,
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			if _, err := config.LoadFile(file); err != nil {
				return err
			}
			fmt.Fprintf(streams.Err, "%s is valid\n", file)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "authstack.yaml", "the spec file")
	return cmd
}
