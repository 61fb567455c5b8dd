package deps

import (
	_ "github.com/charmbracelet/huh"
	_ "github.com/spf13/cobra"
	_ "helm.sh/helm/v3/pkg/chart/loader"
	_ "helm.sh/helm/v3/pkg/chartutil"
	_ "helm.sh/helm/v3/pkg/engine"
	_ "k8s.io/api/rbac/v1"
	_ "k8s.io/apiserver/pkg/apis/apiserver/v1"
	_ "k8s.io/apiserver/pkg/apis/apiserver/validation"
	_ "k8s.io/client-go/dynamic"
	_ "k8s.io/client-go/tools/clientcmd"
	_ "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	_ "sigs.k8s.io/kustomize/api/krusty"
	_ "sigs.k8s.io/yaml"
	_ "gopkg.in/yaml.v3"
	_ "github.com/pmezard/go-difflib/difflib"
)
