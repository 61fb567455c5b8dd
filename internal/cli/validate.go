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
			stack, err := config.LoadFile(file)
			if err != nil {
				return err
			}
			printWarnings(streams, stack)
			fmt.Fprintf(streams.Err, "%s is valid\n", file)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "authstack.yaml", "the spec file")
	return cmd
}

// printWarnings tells on stderr about valid choices that deserve a second
// look; they never fail a command.
func printWarnings(streams IO, stack *config.Stack) {
	for _, w := range stack.Warnings {
		fmt.Fprintf(streams.Err, "warning: %s: %s\n", stack.File, w)
	}
}
