//go:build e2e_kind

// Command runc-nosysres is a runc wrapper for machines whose root lacks
// CAP_SYS_RESOURCE in its bounding set (Firecracker VMs such as CI's). Docker
// asks for every capability for `--privileged` containers, which kind always
// creates, and runc then fails with "unable to apply caps: operation not
// permitted". The wrapper removes that one capability from the container's
// OCI spec (create/run) or process spec (exec) and then runs the real runc.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

const dropped = "CAP_SYS_RESOURCE"

func main() {
	real := os.Getenv("AUTHSTACK_REAL_RUNC")
	if real == "" {
		real = "/usr/sbin/runc"
	}
	cmd, bundle, process := parse(os.Args[1:])
	var err error
	switch cmd {
	case "create", "run":
		if bundle == "" {
			bundle, _ = os.Getwd()
		}
		err = rewrite(filepath.Join(bundle, "config.json"), func(spec map[string]any) {
			if p, ok := spec["process"].(map[string]any); ok {
				strip(p["capabilities"])
			}
		})
	case "exec":
		if process != "" {
			err = rewrite(process, func(p map[string]any) { strip(p["capabilities"]) })
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "runc-nosysres: %v\n", err)
		os.Exit(1)
	}
	argv := append([]string{real}, os.Args[1:]...)
	if err := syscall.Exec(real, argv, os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "runc-nosysres: exec %s: %v\n", real, err)
		os.Exit(1)
	}
}

// valueFlags are runc's global and subcommand flags that take a separate
// value, so that a value is never mistaken for the subcommand.
var valueFlags = map[string]bool{
	"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true,
	"--bundle": true, "-b": true, "--process": true, "-p": true, "--console-socket": true,
	"--pid-file": true, "--preserve-fds": true, "--cwd": true, "--env": true, "-e": true,
	"--user": true, "-u": true, "--additional-gids": true, "-g": true, "--cap": true, "-c": true,
	"--apparmor": true, "--process-label": true, "--cgroup": true,
}

func parse(args []string) (cmd, bundle, process string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		next := func() string {
			if hasVal {
				return val
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case name == "--bundle" || name == "-b":
			bundle = next()
		case name == "--process" || name == "-p":
			process = next()
		case strings.HasPrefix(a, "-"):
			if valueFlags[name] && !hasVal {
				i++
			}
		case cmd == "":
			cmd = a
		}
	}
	return cmd, bundle, process
}

// strip removes the capability from every set (bounding, effective, ...).
func strip(caps any) {
	sets, ok := caps.(map[string]any)
	if !ok {
		return
	}
	for name, v := range sets {
		list, ok := v.([]any)
		if !ok {
			continue
		}
		kept := list[:0]
		for _, c := range list {
			if c != dropped {
				kept = append(kept, c)
			}
		}
		sets[name] = kept
	}
}

// rewrite edits a JSON file in place, keeping numbers exact (memory limits
// exceed float64 precision).
func rewrite(path string, edit func(map[string]any)) error {
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	// Write in place: runc and containerd-shim hold the path, not an inode.
	return os.WriteFile(path, out, 0o600)
}
