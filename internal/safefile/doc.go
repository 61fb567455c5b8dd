// Package safefile is how authstack reads and writes the user's files: spec,
// secrets, patch targets, rendered output. Readers take regular files only,
// up to MaxSize, and never block on a named pipe; writers replace a file
// atomically, never through a symbolic link, and keep backups where no
// program that reads the directory wholesale (the kubelet) picks them up.
package safefile
