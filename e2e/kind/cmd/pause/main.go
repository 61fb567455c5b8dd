//go:build e2e_kind

// Command pause is the pod sandbox process of the kind tier's node image when
// registry.k8s.io cannot be reached: it sleeps until it is told to stop.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
