package up

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Images are the images up runs. On a machine where registries work the
// node image is kind's default and the rest is pulled by the node; where
// images are built locally (hack/kind/images.sh), they come from the local
// Docker engine and are loaded into the node.
type Images struct {
	// Node is the kind node image; empty means kind's default.
	Node string
	// Edge is an nginx image with the auth_request module.
	Edge string
	// App is the demo apps' image: nginx, as the edge (echoapp.go).
	App string
	// Load are images copied from the local Docker engine into the node.
	Load []string
	// Local says the node image is the locally built one: single node with
	// a static bridge CNI, so kind must not install its own.
	Local bool
	// NetworkPolicy is the NetworkPolicy enforcer (kube-network-policies)
	// up runs on the local node image, which has none; kind's own node
	// image enforces NetworkPolicy with kindnetd.
	NetworkPolicy string
}

// StockEdgeImage is upstream nginx, whose image has the auth_request module
// ingress-nginx's auth annotations need.
const StockEdgeImage = "docker.io/library/nginx:1.27"

// The variables of hack/kind/images.sh's images.env.
const (
	envSource = "AUTHSTACK_E2E_KIND_IMAGE_SOURCE"
	envNode   = "AUTHSTACK_E2E_KIND_NODE_IMAGE"
	envEdge   = "AUTHSTACK_E2E_KIND_EDGE_IMAGE"
	envLoad   = "AUTHSTACK_E2E_KIND_IMAGES_TO_LOAD"
	envNetpol = "AUTHSTACK_E2E_KIND_NETPOL_IMAGE"
)

// ResolveImages reads --images-from: "" for stock images, "env" for the
// variables hack/kind/images.sh sets, or a directory holding its
// images.env. --node-image overrides the node image of either.
func ResolveImages(from, nodeImage string, getenv func(string) string) (Images, error) {
	var im Images
	switch from {
	case "":
		im = Images{Edge: StockEdgeImage, App: StockEdgeImage}
	case "env":
		var err error
		if im, err = imagesFromVars(getenv, "the environment"); err != nil {
			return Images{}, err
		}
	default:
		path := filepath.Join(from, "images.env")
		data, err := os.ReadFile(path)
		if err != nil {
			return Images{}, fmt.Errorf("--images-from %s: %w (it takes a directory holding hack/kind/images.sh's images.env, or \"env\")", from, err)
		}
		vars, err := parseEnvFile(data)
		if err != nil {
			return Images{}, fmt.Errorf("%s: %w", path, err)
		}
		if im, err = imagesFromVars(func(k string) string { return vars[k] }, path); err != nil {
			return Images{}, err
		}
	}
	if nodeImage != "" {
		im.Node = nodeImage
	}
	return im, nil
}

func imagesFromVars(get func(string) string, where string) (Images, error) {
	im := Images{
		Node:  get(envNode),
		Edge:  get(envEdge),
		App:   get(envEdge),
		Load:  strings.Fields(get(envLoad)),
		Local: get(envSource) == "local",

		NetworkPolicy: get(envNetpol),
	}
	want := map[string]string{envNode: im.Node, envEdge: im.Edge}
	if im.Local {
		// The rendered NetworkPolicies keep pods from reaching the apps
		// around the login; on a node that does not enforce them the
		// stack would let in what the spec keeps out.
		want[envNetpol] = im.NetworkPolicy
	}
	var missing []string
	for k, v := range want {
		if v == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return Images{}, fmt.Errorf("%s lacks %s: run hack/kind/images.sh, which builds the images and writes them", where, strings.Join(sortedStrings(missing), ", "))
	}
	return im, nil
}

// parseEnvFile reads KEY=VALUE lines as images.sh writes them (values
// optionally double-quoted, # comments).
func parseEnvFile(data []byte) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want KEY=VALUE, got %q", n, line)
		}
		if strings.HasPrefix(v, `"`) {
			u, err := strconv.Unquote(v)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			v = u
		}
		vars[k] = v
	}
	return vars, sc.Err()
}

func sortedStrings(s []string) []string {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return sortedKeys(m)
}
