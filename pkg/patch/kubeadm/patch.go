package kubeadm

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	yaml "go.yaml.in/yaml/v3"

	"github.com/authstack/authstack/internal/yamledit"
	"github.com/authstack/authstack/pkg/formats/kubeapiserver"
)

// Arg is a kube-apiserver flag: Name without the leading dashes
// ("oidc-issuer-url"), and its value. extraArgs name flags as the command
// line does, so it is the shared flag model.
type Arg = kubeapiserver.Flag

// Volume is a host path mounted into the kube-apiserver pod, as in
// kubeadm's HostPathMount.
type Volume struct {
	Name, HostPath, MountPath, PathType string
	ReadOnly                            bool
}

const (
	v1beta3 = kubeapiserver.KubeadmV1beta3
	v1beta4 = kubeapiserver.KubeadmV1beta4
)

// Patch edits the ClusterConfiguration document of the kubeadm config src:
// it drops the apiServer.extraArgs named in remove, sets args (replacing an
// entry of the same name, appending otherwise) and adds or replaces
// apiServer.extraVolumes by name. extraArgs is a map in kubeadm.k8s.io/v1beta3
// and a list of {name, value} in v1beta4.
//
// Other documents keep their bytes; the edited one is re-encoded keeping
// its comments, indentation and blank lines. A file without a
// ClusterConfiguration gets one appended, with the apiVersion of its other
// kubeadm documents. When nothing changes, src is returned as is.
func Patch(src []byte, args []Arg, remove []string, volumes []Volume) ([]byte, error) {
	// A file whose every line ends in CRLF is edited as LF and written back
	// with CRLF: the YAML library keeps the CR in comments it re-encodes,
	// which moved the comment lines of a CRLF file and put blank lines
	// between them.
	if text := string(src); strings.Contains(text, "\r\n") && strings.Count(text, "\n") == strings.Count(text, "\r\n") {
		out, err := patchLF([]byte(strings.ReplaceAll(text, "\r\n", "\n")), args, remove, volumes)
		if err != nil {
			return nil, err
		}
		if string(out) == strings.ReplaceAll(text, "\r\n", "\n") {
			return src, nil
		}
		return []byte(strings.ReplaceAll(string(out), "\n", "\r\n")), nil
	}
	return patchLF(src, args, remove, volumes)
}

func patchLF(src []byte, args []Arg, remove []string, volumes []Volume) ([]byte, error) {
	if err := validate(args, remove, volumes); err != nil {
		return nil, fmt.Errorf("kubeadm config: %w", err)
	}
	chunks, err := yamledit.Split(src)
	if err != nil {
		return nil, fmt.Errorf("kubeadm config: %w", err)
	}

	var (
		docs       []*yaml.Node // every parsed document, for style detection
		version    string       // apiVersion of the first kubeadm document
		cc         = -1         // chunk of the ClusterConfiguration
		ccDoc      *yaml.Node
		ccNum, num int
	)
	for i, c := range chunks {
		if c.Empty() {
			continue
		}
		num++
		doc, err := c.Parse()
		if err != nil {
			return nil, fmt.Errorf("kubeadm config: document %d: %w", num, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		// Decoding finds what node parsing lets through, like a key
		// defined twice, which kubeadm would refuse.
		if _, err := yamledit.Canonical(doc); err != nil {
			return nil, fmt.Errorf("kubeadm config: document %d: %w", num, err)
		}
		docs = append(docs, doc)
		root := doc.Content[0]
		_, av := yamledit.Lookup(root, "apiVersion")
		_, kind := yamledit.Lookup(root, "kind")
		if av == nil || av.Kind != yaml.ScalarNode || !strings.HasPrefix(av.Value, "kubeadm.k8s.io/") {
			continue
		}
		if version == "" {
			version = av.Value
		}
		if kind == nil || kind.Kind != yaml.ScalarNode || kind.Value != "ClusterConfiguration" {
			continue
		}
		if cc >= 0 {
			return nil, fmt.Errorf("kubeadm config: documents %d and %d are both a ClusterConfiguration; keep one", ccNum, num)
		}
		cc, ccDoc, ccNum = i, doc, num
	}
	// The documents are fine one by one; directives and the like are only
	// checked on the whole stream.
	if err := yamledit.Check(src); err != nil {
		return nil, fmt.Errorf("kubeadm config: %w", err)
	}
	st := yamledit.DetectStyle(&yaml.Node{Kind: yaml.SequenceNode, Content: docs}, yamledit.Style{Indent: 2, CompactSeq: true})

	if cc >= 0 {
		where := fmt.Sprintf("kubeadm config: document %d (ClusterConfiguration)", ccNum)
		body, err := editDocument(chunks[cc], ccDoc, st, where, args, remove, volumes)
		if err != nil {
			return nil, err
		}
		chunks[cc].Body = body
		return yamledit.Join(chunks), nil
	}

	if len(args) == 0 && len(volumes) == 0 {
		return src, nil
	}
	if version == "" {
		version = v1beta4
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		yamledit.String("apiVersion"), yamledit.String(version),
		yamledit.String("kind"), yamledit.String("ClusterConfiguration"),
	}}
	where := fmt.Sprintf("kubeadm config: new document %d (ClusterConfiguration)", num+1)
	if err := editClusterConfiguration(root, where, args, remove, volumes); err != nil {
		return nil, err
	}
	out, err := yamledit.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}, st)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	eol := yamledit.EOL(string(src))
	text := string(src)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += eol
	}
	if num > 0 {
		text += "---" + eol
	}
	return []byte(text + strings.ReplaceAll(string(out), "\n", eol)), nil
}

func validate(args []Arg, remove []string, volumes []Volume) error {
	set := map[string]bool{}
	for _, a := range args {
		if err := checkFlagName(a.Name); err != nil {
			return err
		}
		if set[a.Name] {
			return fmt.Errorf("extra arg %q is given twice", a.Name)
		}
		if hasControl(a.Value) {
			return fmt.Errorf("extra arg %q: the value holds a line break or control character, which a command-line flag cannot carry", a.Name)
		}
		set[a.Name] = true
	}
	for _, r := range remove {
		if err := checkFlagName(r); err != nil {
			return err
		}
		if set[r] {
			return fmt.Errorf("extra arg %q is both set and removed", r)
		}
	}
	names := map[string]bool{}
	for _, v := range volumes {
		switch {
		case v.Name == "":
			return fmt.Errorf("extra volume for %q has no name", v.HostPath)
		case v.HostPath == "" || v.MountPath == "":
			return fmt.Errorf("extra volume %q needs both hostPath and mountPath", v.Name)
		case names[v.Name]:
			return fmt.Errorf("extra volume %q is given twice", v.Name)
		case hasControl(v.Name + v.HostPath + v.MountPath + v.PathType):
			return fmt.Errorf("extra volume %q: a field holds a line break or control character", v.Name)
		}
		names[v.Name] = true
	}
	return nil
}

func checkFlagName(name string) error {
	if name == "" {
		return fmt.Errorf("extra arg with an empty name")
	}
	if strings.HasPrefix(name, "-") {
		return fmt.Errorf("extra arg %q: give the flag name without leading dashes", name)
	}
	return nil
}

// editDocument applies the edits to a parsed document and returns its new
// text, or body itself when the edits change nothing.
//
// An edit that only adds (flags and volumes appended, the usual first run)
// is spliced into the text, so every other byte stays: re-encoding the
// document normalises what the YAML encoder does not keep, such as the
// spaces before a comment or after a list's dash, on lines authstack does
// not own (the kubeadm docs' example has both).
func editDocument(chunk yamledit.Chunk, doc *yaml.Node, st yamledit.Style, where string, args []Arg, remove []string, volumes []Volume) (string, error) {
	edited := yamledit.Copy(doc)
	if err := editClusterConfiguration(edited.Content[0], where, args, remove, volumes); err != nil {
		return "", err
	}
	if text, err := chunk.Splice(doc, edited, st); err == nil {
		if !strings.HasSuffix(chunk.Body, "\n") {
			// The added lines end the file: keep it without a final newline.
			text = strings.TrimSuffix(text, "\n")
		}
		return text, nil
	}
	text, err := yamledit.Rewrite(chunk.Body, doc, edited, st)
	if errors.Is(err, yamledit.ErrUnfaithful) {
		return "", fmt.Errorf("%s: %w; set apiServer.extraArgs by hand", where, err)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", where, err)
	}
	return text, nil
}

func editClusterConfiguration(root *yaml.Node, where string, args []Arg, remove []string, volumes []Volume) error {
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: expected a map, found %s", where, yamledit.KindName(root))
	}
	version := ""
	if _, av := yamledit.Lookup(root, "apiVersion"); av != nil {
		version = av.Value
	}
	if version != v1beta3 && version != v1beta4 {
		return fmt.Errorf("%s: apiVersion %s is not supported; migrate the file with \"kubeadm config migrate\" to %s", where, version, v1beta4)
	}
	_, api := yamledit.Lookup(root, "apiServer")
	if yamledit.IsNull(api) {
		if len(args) == 0 && len(volumes) == 0 {
			return nil
		}
		api = &yaml.Node{Kind: yaml.MappingNode}
		yamledit.Set(root, "apiServer", api)
	}
	if api.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: apiServer: expected a map, found %s", where, yamledit.KindName(api))
	}
	if version == v1beta4 {
		if err := editArgList(api, where, args, remove); err != nil {
			return err
		}
	} else if err := editArgMap(api, where, args, remove); err != nil {
		return err
	}
	return editVolumes(api, where, volumes)
}

// child returns the collection under key in m, creating an empty one of
// kind when it is absent or null and create is set. It returns nil when it
// is absent and not created.
func child(m *yaml.Node, key string, kind yaml.Kind, create bool) *yaml.Node {
	_, n := yamledit.Lookup(m, key)
	if !yamledit.IsNull(n) {
		return n
	}
	if !create {
		return nil
	}
	n = &yaml.Node{Kind: kind}
	yamledit.Set(m, key, n)
	return n
}

// block makes an empty flow collection ("extraArgs: []") that is about to
// get entries a block one; a non-empty flow one stays as the user wrote it.
func block(n *yaml.Node) {
	if len(n.Content) == 0 {
		n.Style &^= yaml.FlowStyle
	}
}

func editArgList(api *yaml.Node, where string, args []Arg, remove []string) error {
	ea := child(api, "extraArgs", yaml.SequenceNode, len(args) > 0)
	if ea == nil {
		return nil
	}
	if ea.Kind != yaml.SequenceNode {
		return fmt.Errorf("%s: apiServer.extraArgs: expected a list for %s, found %s", where, v1beta4, yamledit.KindName(ea))
	}
	names := make([]string, len(ea.Content))
	for i, e := range ea.Content {
		_, n := yamledit.Lookup(e, "name")
		if e.Kind != yaml.MappingNode || n == nil || n.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: apiServer.extraArgs[%d]: expected a map with name and value, found %s", where, i, yamledit.KindName(e))
		}
		if _, v := yamledit.Lookup(e, "value"); v != nil && v.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: apiServer.extraArgs[%d] (%s): value: expected a string, found %s", where, i, n.Value, yamledit.KindName(v))
		}
		names[i] = n.Value
	}
	had := len(ea.Content)
	drop := map[string]bool{}
	for _, r := range remove {
		drop[r] = true
	}
	kept := ea.Content[:0]
	keptNames := names[:0]
	for i, e := range ea.Content {
		if !drop[names[i]] {
			kept = append(kept, e)
			keptNames = append(keptNames, names[i])
		}
	}
	ea.Content, names = kept, keptNames

	for _, a := range args {
		first := -1
		out := ea.Content[:0]
		outNames := names[:0]
		for i, e := range ea.Content {
			if names[i] != a.Name {
				out = append(out, e)
				outNames = append(outNames, names[i])
				continue
			}
			if first >= 0 {
				continue // duplicates of a flag we set would override it
			}
			first = len(out)
			if _, v := yamledit.Lookup(e, "value"); v != nil {
				yamledit.SetString(v, a.Value)
			} else {
				yamledit.Set(e, "value", yamledit.String(a.Value))
			}
			out = append(out, e)
			outNames = append(outNames, a.Name)
		}
		ea.Content, names = out, outNames
		if first < 0 {
			block(ea)
			ea.Content = append(ea.Content, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				yamledit.String("name"), yamledit.String(a.Name),
				yamledit.String("value"), yamledit.String(a.Value),
			}})
			names = append(names, a.Name)
		}
	}
	if had > 0 && len(ea.Content) == 0 {
		yamledit.Delete(api, "extraArgs")
	}
	return nil
}

func editArgMap(api *yaml.Node, where string, args []Arg, remove []string) error {
	ea := child(api, "extraArgs", yaml.MappingNode, len(args) > 0)
	if ea == nil {
		return nil
	}
	if ea.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: apiServer.extraArgs: expected a map for %s, found %s", where, v1beta3, yamledit.KindName(ea))
	}
	had := len(ea.Content)
	for _, r := range remove {
		yamledit.Delete(ea, r)
	}
	for _, a := range args {
		_, v := yamledit.Lookup(ea, a.Name)
		switch {
		case v == nil:
			block(ea)
			yamledit.Set(ea, a.Name, yamledit.String(a.Value))
		case v.Kind == yaml.ScalarNode:
			yamledit.SetString(v, a.Value)
		default:
			return fmt.Errorf("%s: apiServer.extraArgs.%s: expected a string, found %s", where, a.Name, yamledit.KindName(v))
		}
	}
	if had > 0 && len(ea.Content) == 0 {
		yamledit.Delete(api, "extraArgs")
	}
	return nil
}

func editVolumes(api *yaml.Node, where string, volumes []Volume) error {
	ev := child(api, "extraVolumes", yaml.SequenceNode, len(volumes) > 0)
	if ev == nil {
		return nil
	}
	if ev.Kind != yaml.SequenceNode {
		return fmt.Errorf("%s: apiServer.extraVolumes: expected a list, found %s", where, yamledit.KindName(ev))
	}
	names := make([]string, len(ev.Content))
	for i, e := range ev.Content {
		_, n := yamledit.Lookup(e, "name")
		if e.Kind != yaml.MappingNode || n == nil || n.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: apiServer.extraVolumes[%d]: expected a map with a name, found %s", where, i, yamledit.KindName(e))
		}
		names[i] = n.Value
	}
	for _, vol := range volumes {
		first := -1
		out := ev.Content[:0]
		outNames := names[:0]
		for i, e := range ev.Content {
			if names[i] != vol.Name {
				out = append(out, e)
				outNames = append(outNames, names[i])
				continue
			}
			if first >= 0 {
				continue
			}
			first = len(out)
			if err := setVolume(e, vol); err != nil {
				return fmt.Errorf("%s: apiServer.extraVolumes[%d] (%s): %w", where, i, vol.Name, err)
			}
			out = append(out, e)
			outNames = append(outNames, vol.Name)
		}
		ev.Content, names = out, outNames
		if first < 0 {
			e := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{yamledit.String("name"), yamledit.String(vol.Name)}}
			if err := setVolume(e, vol); err != nil {
				return fmt.Errorf("%s: apiServer.extraVolumes (%s): %w", where, vol.Name, err)
			}
			block(ev)
			ev.Content = append(ev.Content, e)
			names = append(names, vol.Name)
		}
	}
	return nil
}

// setVolume makes the HostPathMount e describe vol, keeping fields kubeadm
// does not default and that vol has no say on.
func setVolume(e *yaml.Node, vol Volume) error {
	setStr := func(key, val string) error {
		_, v := yamledit.Lookup(e, key)
		switch {
		case v == nil:
			yamledit.Set(e, key, yamledit.String(val))
		case v.Kind == yaml.ScalarNode:
			yamledit.SetString(v, val)
		default:
			return fmt.Errorf("%s: expected a string, found %s", key, yamledit.KindName(v))
		}
		return nil
	}
	if err := setStr("hostPath", vol.HostPath); err != nil {
		return err
	}
	if err := setStr("mountPath", vol.MountPath); err != nil {
		return err
	}
	_, ro := yamledit.Lookup(e, "readOnly")
	switch {
	case vol.ReadOnly && (ro == nil || ro.ShortTag() != "!!bool" || ro.Value != "true"):
		yamledit.Set(e, "readOnly", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	case !vol.ReadOnly && ro != nil && !(ro.ShortTag() == "!!bool" && ro.Value == "false"):
		yamledit.Delete(e, "readOnly")
	}
	if vol.PathType == "" {
		yamledit.Delete(e, "pathType")
		return nil
	}
	return setStr("pathType", vol.PathType)
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}
