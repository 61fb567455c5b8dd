// Package v1alpha1 holds the authstack.dev/v1alpha1 AuthStack spec: the one
// file a user writes. Defaulting lives in defaults.go and validation, which
// reports every problem with its field path, in validation.go.
package v1alpha1
