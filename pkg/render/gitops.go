package render

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	kusttypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// Files of the kustomize format that hold no manifest.
const (
	kustomizationFile = "kustomization.yaml"
	gitignoreFile     = ".gitignore"
	// externalSecretsFile lists the Secrets an external secret manager
	// must provide.
	externalSecretsFile = "SECRETS.md"
	// secretsDir holds one file per Secret value, read by the
	// kustomization's secretGenerator and ignored by Git.
	secretsDir = "secrets"
)

// KustomizeFiles is the output directory of --format kustomize: a
// kustomize base meant for a Git repository. No file Git would track holds
// a secret value: every Secret becomes a secretGenerator entry whose values
// are files under secrets/ (mode 0600), and a .gitignore keeps secrets/ and
// the other private files out of Git. kustomize build of the directory
// gives the same Secrets authstack apply applies, as long as secrets/ is
// there (authstack render writes it; on another machine, render again or
// copy it over a private channel).
func (res *Result) KustomizeFiles() ([]File, error) { return res.kustomizeFiles(false) }

// KustomizeExternalFiles is KustomizeFiles for Secrets kept in an external
// secret manager (External Secrets, Sealed Secrets, Vault...): the base
// has no Secret and no value at all, and SECRETS.md lists the Secrets, with
// their keys, that must exist in the cluster.
func (res *Result) KustomizeExternalFiles() ([]File, error) { return res.kustomizeFiles(true) }

func (res *Result) kustomizeFiles(externalSecrets bool) ([]File, error) {
	var objects []Object
	var secretFiles []File
	var external []*unstructured.Unstructured
	k := kusttypes.Kustomization{
		TypeMeta: kusttypes.TypeMeta{APIVersion: kusttypes.KustomizationVersion, Kind: kusttypes.KustomizationKind},
	}
	for _, o := range res.Objects {
		if !isSecret(o.Object) {
			objects = append(objects, o)
			continue
		}
		if externalSecrets {
			external = append(external, o.Object)
			continue
		}
		gen, files, err := secretGenerator(o.Object)
		if err != nil {
			return nil, err
		}
		k.SecretGenerator = append(k.SecretGenerator, gen)
		secretFiles = append(secretFiles, files...)
	}
	manifests, err := (&Result{Objects: objects}).Manifests()
	if err != nil {
		return nil, err
	}
	for _, f := range manifests {
		k.Resources = append(k.Resources, f.Path)
	}
	data, err := yaml.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("kustomization: %w", err)
	}
	head := "# Rendered by authstack. Secret values are not in this file: the\n" +
		"# secretGenerator reads them from secrets/, which .gitignore keeps out of Git.\n"
	if externalSecrets {
		head = "# Rendered by authstack. The Secrets are not in this base: create the ones\n" +
			"# listed in " + externalSecretsFile + " with your secret manager.\n"
	}
	files := append(manifests, res.Files...)
	if externalSecrets {
		files = append(files, File{Path: externalSecretsFile, Data: secretList(external)})
	}
	files = append(files, secretFiles...)
	files = append(files, File{Path: kustomizationFile, Data: append([]byte(head), data...)})
	files = append(files, File{Path: gitignoreFile, Data: gitignoreFor(files)})
	sort.SliceStable(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// gitignoreFor lists every private file, by exact path from the directory
// the .gitignore is in, and the whole secrets directory.
func gitignoreFor(files []File) []byte {
	var b bytes.Buffer
	b.WriteString("# Written by authstack: these files hold secret values. Keep them out of Git;\n" +
		"# give them to the machine that runs kustomize build over a private channel.\n")
	fmt.Fprintf(&b, "/%s/\n", secretsDir)
	// Earlier authstack versions put the Secrets in the base itself.
	fmt.Fprintf(&b, "/%s\n", secretsFile)
	for _, f := range files {
		if f.Private && !strings.HasPrefix(f.Path, secretsDir+"/") {
			fmt.Fprintf(&b, "/%s\n", f.Path)
		}
	}
	return b.Bytes()
}

func isSecret(u *unstructured.Unstructured) bool {
	gvk := u.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Secret"
}

// secretGenerator turns a Secret into a secretGenerator entry and the files
// it reads. It refuses a Secret with a field a generator cannot reproduce,
// rather than build a different one.
func secretGenerator(u *unstructured.Unstructured) (kusttypes.SecretArgs, []File, error) {
	name, ns := u.GetName(), u.GetNamespace()
	where := "Secret " + name
	if ns != "" {
		where += " in namespace " + ns
	}
	for field := range u.Object {
		switch field {
		case "apiVersion", "kind", "metadata", "type", "data", "stringData", "immutable":
		default:
			return kusttypes.SecretArgs{}, nil, fmt.Errorf("kustomize format: %s has field %s, which a secretGenerator cannot produce; use --format yaml", where, field)
		}
	}
	for field := range u.Object["metadata"].(map[string]any) {
		switch field {
		case "name", "namespace", "labels", "annotations":
		default:
			return kusttypes.SecretArgs{}, nil, fmt.Errorf("kustomize format: %s has metadata.%s, which a secretGenerator cannot produce; use --format yaml", where, field)
		}
	}
	values := map[string][]byte{}
	data, _, _ := unstructured.NestedStringMap(u.Object, "data")
	for key, v := range data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return kusttypes.SecretArgs{}, nil, fmt.Errorf("kustomize format: %s: data.%s is not base64: %w", where, key, err)
		}
		values[key] = b
	}
	// The API server merges stringData over data.
	str, _, _ := unstructured.NestedStringMap(u.Object, "stringData")
	for key, v := range str {
		values[key] = []byte(v)
	}
	dir := path.Join(secretsDir, ns, name)
	if ns == "" {
		dir = path.Join(secretsDir, "_", name)
	}
	args := kusttypes.SecretArgs{
		GeneratorArgs: kusttypes.GeneratorArgs{
			Namespace: ns,
			Name:      name,
			Options: &kusttypes.GeneratorOptions{
				Labels:      u.GetLabels(),
				Annotations: u.GetAnnotations(),
				// apply uses the rendered names; a hash suffix would
				// also change every reference to them.
				DisableNameSuffixHash: true,
			},
		},
	}
	args.Type, _, _ = unstructured.NestedString(u.Object, "type")
	args.Options.Immutable, _, _ = unstructured.NestedBool(u.Object, "immutable")
	keys := make([]string, 0, len(values))
	for key := range values {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	files := make([]File, 0, len(keys))
	for _, key := range keys {
		// Secret keys are file names already (IsConfigMapKey: no "/", not
		// "." or ".."); check, since the key becomes a path.
		if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
			return kusttypes.SecretArgs{}, nil, fmt.Errorf("kustomize format: %s: key %q: %s", where, key, strings.Join(errs, "; "))
		}
		p := path.Join(dir, key)
		args.FileSources = append(args.FileSources, key+"="+p)
		files = append(files, File{Path: p, Data: values[key], Private: true})
	}
	return args, files, nil
}

// secretList documents the Secrets a base without them needs: names and
// keys, never values.
func secretList(objs []*unstructured.Unstructured) []byte {
	var b bytes.Buffer
	b.WriteString("# Secrets this base needs\n\n" +
		"The base holds no Secret. Create these in the cluster with your secret manager\n" +
		"before the Deployments start. Values authstack generated are in the secrets\n" +
		"file next to the spec (authstack.secrets.yaml); the others are the ones the\n" +
		"spec reads from the environment or a file.\n\n" +
		"| namespace | name | type | keys |\n|---|---|---|---|\n")
	dexConfig := false
	for _, u := range objs {
		typ, _, _ := unstructured.NestedString(u.Object, "type")
		keys := map[string]bool{}
		for _, field := range []string{"data", "stringData"} {
			m, _, _ := unstructured.NestedMap(u.Object, field)
			for k := range m {
				keys[k] = true
			}
		}
		list := make([]string, 0, len(keys))
		for k := range keys {
			list = append(list, "`"+k+"`")
		}
		sort.Strings(list)
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", u.GetNamespace(), u.GetName(), typ, strings.Join(list, ", "))
		if u.GetName() == DexConfigSecret {
			dexConfig = true
		}
	}
	if dexConfig {
		fmt.Fprintf(&b, "\nThe key config.yaml of %s is dex/config.yaml of this directory, which refers\n"+
			"to the values of %s by environment variable and holds none.\n", DexConfigSecret, DexEnvSecret)
	}
	return b.Bytes()
}
