package kubeapiserver

import (
	"fmt"
	"strings"
)

// Flag is one kube-apiserver command-line flag, without the leading dashes.
// A flag the API server reads more than once (--oidc-required-claim) is
// several Flags with the same Name.
type Flag struct {
	Name  string
	Value string
}

// Arg is a flag as it was found on a command line.
type Arg struct {
	Flag
	// Index is the position of the flag in the argument list, and Span the
	// number of arguments it takes: 1 for "--name=value" and for a flag
	// without a value, 2 for "--name value".
	Index, Span int
	// NoValue marks a flag written without a value ("--profiling"), which
	// pflag reads as a boolean set to true.
	NoValue bool
}

// Args is a parsed kube-apiserver command line.
type Args struct {
	// Program is what comes before the first flag ("kube-apiserver"), if
	// anything.
	Program []string
	Args    []Arg
}

// ParseArgs reads a kube-apiserver command line (a container's command
// followed by its args) the way kube-apiserver's pflag FlagSet does (spf13/pflag
// flag.go parseLongArg):
//
//   - "--name=value" sets name to value, "" included;
//   - "--name value" takes the next argument as the value, whatever it starts
//     with, when name is a flag that needs one: authstack knows this of the
//     options in Options. For any other flag the next argument is its value
//     only when it is not itself a flag, because kube-apiserver refuses
//     positional arguments, so a working command line cannot hold one;
//   - "--name" alone is a boolean flag set to true;
//   - "--" ends the flags.
//
// A flag authstack owns that has no value, or an argument that is neither a
// flag nor a value, is an error: the API server would refuse to start or
// read something else than it appears to.
func ParseArgs(argv []string) (*Args, error) {
	a := &Args{}
	i := 0
	for i < len(argv) && !strings.HasPrefix(argv[i], "-") {
		a.Program = append(a.Program, argv[i])
		i++
	}
	for ; i < len(argv); i++ {
		s := argv[i]
		if s == "--" {
			if i+1 < len(argv) {
				return nil, fmt.Errorf("argument %d %q: kube-apiserver takes no arguments after --", i+1, argv[i+1])
			}
			break
		}
		if !strings.HasPrefix(s, "--") {
			// kube-apiserver has no one-letter flags but -v, which klog
			// registers as --v too; it takes "-v=2" and "-v 2".
			if strings.HasPrefix(s, "-v") && (s == "-v" || strings.HasPrefix(s, "-v=")) {
				s = "-" + s
			} else {
				return nil, fmt.Errorf("argument %d %q: not a flag; kube-apiserver takes no positional arguments", i, s)
			}
		}
		name, value, hasValue := strings.Cut(s[2:], "=")
		if name == "" || strings.HasPrefix(name, "-") {
			return nil, fmt.Errorf("argument %d %q: bad flag syntax", i, s)
		}
		arg := Arg{Flag: Flag{Name: name, Value: value}, Index: i, Span: 1}
		if !hasValue {
			_, owned := Lookup(name)
			next := i+1 < len(argv)
			switch {
			case owned && !next:
				return nil, fmt.Errorf("argument %d: --%s needs a value", i, name)
			case owned && strings.HasPrefix(argv[i+1], "--"):
				// pflag would take the next flag as this one's value
				// and the API server would silently use it.
				return nil, fmt.Errorf("argument %d: --%s has no value: kube-apiserver would read the next flag %q as its value; write --%s=VALUE", i, name, argv[i+1], name)
			case owned || next && !strings.HasPrefix(argv[i+1], "-"):
				// An owned flag takes the next argument even when it
				// starts with a dash: "--oidc-username-prefix -".
				arg.Value, arg.Span = argv[i+1], 2
				i++
			default:
				arg.Value, arg.NoValue = "true", true
			}
		}
		a.Args = append(a.Args, arg)
	}
	return a, nil
}

// Flags returns the flags in the order they were given.
func (a *Args) Flags() []Flag {
	out := make([]Flag, len(a.Args))
	for i, x := range a.Args {
		out[i] = x.Flag
	}
	return out
}

// Print writes flags as command-line arguments, each "--name=value": the one
// syntax that cannot be misread, whatever the value starts with.
func Print(flags []Flag) []string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = "--" + f.Name + "=" + f.Value
	}
	return out
}
