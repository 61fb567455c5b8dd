// Package kustomize applies a user's kustomization to the rendered
// manifests with kustomize's own engine (krusty), so users customize the
// stack without forking authstack's templates.
package kustomize

import (
	"fmt"
	"io/fs"
	"path/filepath"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/authstack/authstack/internal/safefile"
)

// BaseDir is the name under which the rendered manifests appear to the
// user's kustomization; authstack adds it as the first resource.
const BaseDir = "authstack-base"

// Apply runs the kustomization in dir over base (multi-document YAML) and
// returns the result. The user's files are read, never written: the build
// happens in memory.
func Apply(dir string, base []byte) ([]byte, error) {
	mem := filesys.MakeFsInMemory()
	const root = "/overlay"
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		target := filepath.Join(root, rel)
		if d.IsDir() {
			return mem.MkdirAll(target)
		}
		data, err := safefile.Read(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(target, data)
	})
	if err != nil {
		return nil, fmt.Errorf("kustomize: read %s: %w", dir, err)
	}
	kfile := filepath.Join(root, "kustomization.yaml")
	data, err := mem.ReadFile(kfile)
	if err != nil {
		return nil, fmt.Errorf("kustomize: %s has no kustomization.yaml", dir)
	}
	var k map[string]any
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("kustomize: %s: %w", filepath.Join(dir, "kustomization.yaml"), err)
	}
	if k == nil {
		k = map[string]any{}
	}
	resources, _ := k["resources"].([]any)
	k["resources"] = append([]any{BaseDir}, resources...)
	if data, err = yaml.Marshal(k); err != nil {
		return nil, err
	}
	if err := mem.WriteFile(kfile, data); err != nil {
		return nil, err
	}
	if err := mem.MkdirAll(filepath.Join(root, BaseDir)); err != nil {
		return nil, err
	}
	if err := mem.WriteFile(filepath.Join(root, BaseDir, "resources.yaml"), base); err != nil {
		return nil, err
	}
	if err := mem.WriteFile(filepath.Join(root, BaseDir, "kustomization.yaml"), []byte("resources:\n- resources.yaml\n")); err != nil {
		return nil, err
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, root)
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", dir, err)
	}
	out, err := rm.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", dir, err)
	}
	return out, nil
}

// Build runs kustomize build on dir, as `kustomize build dir` does, with
// kustomize's default load restrictions (files only from under dir).
func Build(dir string) ([]byte, error) {
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	out, err := rm.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return out, nil
}
