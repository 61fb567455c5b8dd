package kubeapiserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// ContainerName is the name kubeadm (and kind, kubespray) give the API
// server's container in its static pod.
const ContainerName = "kube-apiserver"

// Manifest is a kube-apiserver static pod manifest.
type Manifest struct {
	Pod corev1.Pod
	// Args is the API server's command line: its container's command
	// followed by its args, as the kubelet runs them.
	Args *Args
}

// ParseManifest reads a static pod manifest (the kubelet's
// /etc/kubernetes/manifests/kube-apiserver.yaml). It must be a v1 Pod with
// a container named kube-apiserver, or a single container.
func ParseManifest(data []byte) (*Manifest, error) {
	// The kind first: any other object (a Deployment with a kube-apiserver
	// container, say) is not what the kubelet runs from this file.
	var tm metav1.TypeMeta
	if err := sigsyaml.Unmarshal(data, &tm); err != nil {
		return nil, fmt.Errorf("not a Pod manifest: %w", err)
	}
	if tm.APIVersion != "v1" || tm.Kind != "Pod" {
		return nil, fmt.Errorf("not a static pod manifest: expected apiVersion v1 and kind Pod (the kubelet's /etc/kubernetes/manifests/kube-apiserver.yaml), found apiVersion %q, kind %q", tm.APIVersion, tm.Kind)
	}
	m := &Manifest{}
	// Fields this client's Pod type does not know (a newer Kubernetes)
	// are no error: EditManifest keeps their lines as they are.
	if err := sigsyaml.Unmarshal(data, &m.Pod); err != nil {
		return nil, fmt.Errorf("not a Pod manifest: %w", err)
	}
	args, err := PodArgs(&m.Pod)
	if err != nil {
		return nil, err
	}
	m.Args = args
	return m, nil
}

// PodArgs parses the command line of a kube-apiserver Pod's API server
// container.
func PodArgs(pod *corev1.Pod) (*Args, error) {
	c, err := container(pod)
	if err != nil {
		return nil, err
	}
	args, err := ParseArgs(append(append([]string{}, c.Command...), c.Args...))
	if err != nil {
		return nil, fmt.Errorf("container %s: command and args: %w", c.Name, err)
	}
	return args, nil
}

func container(pod *corev1.Pod) (*corev1.Container, error) {
	cs := pod.Spec.Containers
	for i := range cs {
		if cs[i].Name == ContainerName {
			return &cs[i], nil
		}
	}
	if len(cs) == 1 {
		return &cs[0], nil
	}
	return nil, fmt.Errorf("no container named %s among the Pod's %d containers", ContainerName, len(cs))
}

// Mount is a file on the node that the API server reads: mounted read-only
// at the same path from a hostPath volume of type File.
type Mount struct {
	Name, Path string
}

// Edit is what EditManifest changes.
type Edit struct {
	// Set are the flags the API server must have, in order; a name given
	// several times is a flag repeated on the command line.
	Set []Flag
	// Remove are flags to drop wherever they are.
	Remove []string
	// Mounts are added to the Pod's volumes and the container's
	// volumeMounts, or replace an entry of the same name.
	Mounts []Mount
}

// ErrLayout is returned when a manifest is laid out in a way EditManifest
// cannot change line by line.
var ErrLayout = errors.New("the layout of this manifest is not supported")

// EditManifest changes the kube-apiserver container's flags and mounts in a
// static pod manifest and keeps every other byte: only the lines of the
// flags and mounts it changes are rewritten, in the syntax and quoting they
// had ("--name value" stays two arguments). New flags go after the last
// argument of the container's args, or of its command when it has no args;
// new mounts after the last entry of their list. The result is parsed again
// and must equal the original with exactly these changes, or EditManifest
// fails with ErrLayout. When nothing changes, src is returned as is.
func EditManifest(src []byte, e Edit) ([]byte, error) {
	if _, err := ParseManifest(src); err != nil {
		return nil, err
	}
	for _, f := range e.Set {
		if strings.ContainsAny(f.Value, "\r\n") {
			return nil, fmt.Errorf("flag --%s: a value with a line break cannot be one argument", f.Name)
		}
	}
	doc, err := parseOne(src)
	if err != nil {
		return nil, err
	}
	t := &text{lines: strings.SplitAfter(string(src), "\n"), eol: "\n"}
	if strings.HasSuffix(t.lines[0], "\r\n") {
		t.eol = "\r\n"
	}
	spec := lookup(doc, "spec")
	var cnode *yaml.Node
	for _, c := range seqItems(lookup(spec, "containers")) {
		if n := lookup(c, "name"); n != nil && n.Value == ContainerName {
			cnode = c
		}
	}
	if cnode == nil {
		return nil, fmt.Errorf("no container named %s", ContainerName)
	}
	var want any
	if err := sigsyaml.Unmarshal(src, &want); err != nil {
		return nil, err
	}
	wc := wantContainer(want)

	if err := t.editArgs(cnode, wc, e.Set, e.Remove); err != nil {
		return nil, err
	}
	specMap, _ := want.(map[string]any)["spec"].(map[string]any)
	if err := t.editMounts(spec, cnode, specMap, wc, e.Mounts); err != nil {
		return nil, err
	}

	out := t.String()
	if out == string(src) {
		return src, nil
	}
	var got any
	if err := sigsyaml.Unmarshal([]byte(out), &got); err != nil || !reflect.DeepEqual(got, want) {
		return nil, fmt.Errorf("%w: editing it line by line would change more than the flags and mounts; set them by hand", ErrLayout)
	}
	return []byte(out), nil
}

func parseOne(src []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: the file holds more than one YAML document", ErrLayout)
	}
	if len(doc.Content) != 1 {
		return nil, fmt.Errorf("%w: empty document", ErrLayout)
	}
	return doc.Content[0], nil
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func seqItems(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// wantContainer returns the generic form of the kube-apiserver container,
// which the edits update to say what the result must decode to.
func wantContainer(doc any) map[string]any {
	spec, _ := doc.(map[string]any)["spec"].(map[string]any)
	cs, _ := spec["containers"].([]any)
	for _, c := range cs {
		if m, ok := c.(map[string]any); ok && m["name"] == ContainerName {
			return m
		}
	}
	return map[string]any{}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// upsertAny replaces the entry named name in a generic list, or appends obj.
func upsertAny(list any, name string, obj any) any {
	l, _ := list.([]any)
	for i, x := range l {
		if m, ok := x.(map[string]any); ok && m["name"] == name {
			l[i] = obj
			return l
		}
	}
	return append(l, obj)
}

// text is the manifest as lines, each with its line break, edited in
// place: line indexes never shift, so the parsed nodes' line numbers stay
// valid while edits accumulate.
type text struct {
	lines []string
	eol   string
	gone  map[int]bool   // removed lines
	after map[int]string // text inserted after a line, kept when the line goes
}

func (t *text) String() string {
	var b strings.Builder
	for i, l := range t.lines {
		if !t.gone[i] {
			b.WriteString(l)
			if t.after[i] != "" && !strings.HasSuffix(l, "\n") {
				b.WriteString(t.eol)
			}
		}
		b.WriteString(t.after[i])
	}
	return b.String()
}

func (t *text) remove(i int) {
	if t.gone == nil {
		t.gone = map[int]bool{}
	}
	t.gone[i] = true
}

// prefix returns the "  - " before a one-line sequence item and the
// comment after it, or ErrLayout when the item is not one line.
func (t *text) prefix(n *yaml.Node) (pre, comment string, err error) {
	if n.Kind != yaml.ScalarNode || n.Line < 1 || n.Line > len(t.lines) {
		return "", "", fmt.Errorf("%w: line %d: expected a string", ErrLayout, n.Line)
	}
	line := strings.TrimRight(t.lines[n.Line-1], "\r\n")
	if n.Column-1 > len(line) {
		return "", "", fmt.Errorf("%w: line %d", ErrLayout, n.Line)
	}
	pre = line[:n.Column-1]
	if strings.TrimSpace(pre) != "-" {
		return "", "", fmt.Errorf("%w: line %d: expected one list item per line", ErrLayout, n.Line)
	}
	// The rest of the line must hold the whole item: a value that goes on
	// over several lines is not edited line by line.
	var rest yaml.Node
	if err := yaml.Unmarshal([]byte(line[n.Column-1:]), &rest); err != nil || len(rest.Content) != 1 || rest.Content[0].Value != n.Value {
		return "", "", fmt.Errorf("%w: line %d: the argument %q spans several lines; write it on one", ErrLayout, n.Line, n.Value)
	}
	if n.LineComment != "" {
		comment = " " + n.LineComment
	}
	return pre, comment, nil
}

// replace rewrites the one-line item n with the string s in n's quoting
// style, or removes its line when s is nil.
func (t *text) replace(n *yaml.Node, s *string) error {
	pre, comment, err := t.prefix(n)
	if err != nil {
		return err
	}
	if s == nil {
		t.remove(n.Line - 1)
		return nil
	}
	v, err := scalarText(*s, n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle))
	if err != nil {
		return err
	}
	end := ""
	if orig := t.lines[n.Line-1]; strings.HasSuffix(orig, "\n") {
		end = orig[len(strings.TrimRight(orig, "\r\n")):]
	}
	t.lines[n.Line-1] = pre + v + comment + end
	return nil
}

// appendItems adds string items after the last item of seq, written like it.
func (t *text) appendItems(seq *yaml.Node, where string, ss []string) error {
	items := seqItems(seq)
	if len(items) == 0 || seq.Style&yaml.FlowStyle != 0 {
		return fmt.Errorf("%w: %s: expected a block list with at least one item", ErrLayout, where)
	}
	last := items[len(items)-1]
	pre, _, err := t.prefix(last)
	if err != nil {
		return err
	}
	var add string
	for _, s := range ss {
		v, err := scalarText(s, 0)
		if err != nil {
			return err
		}
		add += pre + v + t.eol
	}
	t.insertAfter(last.Line-1, add)
	return nil
}

func (t *text) insertAfter(i int, s string) {
	if t.after == nil {
		t.after = map[int]string{}
	}
	t.after[i] += s
}

// upsert makes the entry named name of the block list seq equal obj (a
// typed Kubernetes struct): it leaves an equal entry alone, rewrites a
// different one and appends a missing one. It returns obj in generic form.
func (t *text) upsert(seq *yaml.Node, where, name string, obj any) (any, error) {
	raw, err := sigsyaml.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := sigsyaml.Unmarshal(raw, &generic); err != nil {
		return nil, err
	}
	items := seqItems(seq)
	if len(items) == 0 || seq.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("%w: %s: expected a block list with at least one item; add the %s entry by hand", ErrLayout, where, name)
	}
	block := func(first *yaml.Node) (string, error) {
		line := strings.TrimRight(t.lines[first.Line-1], "\r\n")
		if first.Column-1 > len(line) || strings.TrimSpace(line[:first.Column-1]) != "-" {
			return "", fmt.Errorf("%w: %s: line %d: expected \"- key: value\"", ErrLayout, where, first.Line)
		}
		pre := line[:first.Column-1]
		cont := strings.Repeat(" ", len(pre))
		var b strings.Builder
		for i, l := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
			if i == 0 {
				b.WriteString(pre + l + t.eol)
			} else {
				b.WriteString(cont + l + t.eol)
			}
		}
		return b.String(), nil
	}
	for _, it := range items {
		if n := lookup(it, "name"); n == nil || n.Value != name {
			continue
		}
		var have any
		if err := it.Decode(&have); err == nil && reflect.DeepEqual(jsonRound(have), generic) {
			return generic, nil
		}
		if it.Kind != yaml.MappingNode || len(it.Content) == 0 {
			return nil, fmt.Errorf("%w: %s: line %d: expected a map", ErrLayout, where, it.Line)
		}
		s, err := block(it.Content[0])
		if err != nil {
			return nil, err
		}
		first, last := it.Line-1, lastLine(it)-1
		t.lines[first] = s
		for i := first + 1; i <= last; i++ {
			t.remove(i)
		}
		return generic, nil
	}
	last := items[len(items)-1]
	if last.Kind != yaml.MappingNode || len(last.Content) == 0 {
		return nil, fmt.Errorf("%w: %s: line %d: expected a map", ErrLayout, where, last.Line)
	}
	s, err := block(last.Content[0])
	if err != nil {
		return nil, err
	}
	t.insertAfter(lastLine(last)-1, s)
	return generic, nil
}

// lastLine is the last line a node's content starts on.
func lastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		if cl := lastLine(c); cl > l {
			l = cl
		}
	}
	return l
}

// jsonRound gives a value decoded by yaml.v3 the types sigs.k8s.io/yaml
// decodes to (float64 numbers), so the two compare.
func jsonRound(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

// scalarText writes s as a one-line YAML string, quoted only where YAML
// needs it, or in style when that is a quoting style.
func scalarText(s string, style yaml.Style) (string, error) {
	out, err := yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: style})
	if err != nil {
		return "", err
	}
	v := strings.TrimSuffix(string(out), "\n")
	if strings.Contains(v, "\n") {
		return "", fmt.Errorf("%w: the value %q does not fit on one line", ErrLayout, s)
	}
	return v, nil
}

// editArgs sets and removes flags on the container's command line, and
// records in wc (the container as it must decode afterwards) the command
// and args it leaves.
func (t *text) editArgs(cnode *yaml.Node, wc map[string]any, set []Flag, remove []string) error {
	// The command line, item by item, remembering where each argument is.
	type item struct {
		seq  string
		node *yaml.Node
	}
	var argv []string
	var items []item
	lists := map[string][]string{}
	for _, key := range []string{"command", "args"} {
		seq := lookup(cnode, key)
		for _, n := range seqItems(seq) {
			argv = append(argv, n.Value)
			items = append(items, item{key, n})
		}
	}
	args, err := ParseArgs(argv)
	if err != nil {
		return fmt.Errorf("container %s: %w", ContainerName, err)
	}
	wantVals := map[string][]string{}
	var order []string
	for _, f := range set {
		if _, ok := wantVals[f.Name]; !ok {
			order = append(order, f.Name)
		}
		wantVals[f.Name] = append(wantVals[f.Name], f.Value)
	}
	drop := map[string]bool{}
	for _, r := range remove {
		drop[r] = true
	}
	// newArgv is the command line as it must read afterwards, nil for a
	// removed argument.
	newArgv := make([]*string, len(argv))
	for i := range argv {
		newArgv[i] = &argv[i]
	}
	used := map[string]int{}
	for _, a := range args.Args {
		vals, set := wantVals[a.Name]
		if !set && !drop[a.Name] {
			continue
		}
		k := used[a.Name]
		if !set || k >= len(vals) {
			for j := a.Index; j < a.Index+a.Span; j++ {
				if err := t.replace(items[j].node, nil); err != nil {
					return err
				}
				newArgv[j] = nil
			}
			continue
		}
		used[a.Name]++
		if a.Value == vals[k] {
			continue
		}
		if a.NoValue {
			return fmt.Errorf("%w: container %s: --%s has no value; set it by hand", ErrLayout, ContainerName, a.Name)
		}
		j, s := a.Index, "--"+a.Name+"="+vals[k]
		if a.Span == 2 {
			j, s = a.Index+1, vals[k]
		}
		if err := t.replace(items[j].node, &s); err != nil {
			return err
		}
		newArgv[j] = &s
	}
	var added []string
	for _, name := range order {
		for _, v := range wantVals[name][used[name]:] {
			added = append(added, "--"+name+"="+v)
		}
	}
	target := "args"
	if len(seqItems(lookup(cnode, "args"))) == 0 {
		target = "command"
	}
	if len(added) > 0 {
		if err := t.appendItems(lookup(cnode, target), "container "+ContainerName+": "+target, added); err != nil {
			return err
		}
	}
	for i, it := range items {
		if newArgv[i] != nil {
			lists[it.seq] = append(lists[it.seq], *newArgv[i])
		}
	}
	lists[target] = append(lists[target], added...)
	for _, key := range []string{"command", "args"} {
		if lookup(cnode, key) != nil || len(lists[key]) > 0 {
			wc[key] = toAny(lists[key])
		}
	}
	return nil
}

// editMounts adds or replaces the hostPath volumes and read-only mounts of
// the files the flags point at, recording them in specMap and wc.
func (t *text) editMounts(spec, cnode *yaml.Node, specMap, wc map[string]any, mounts []Mount) error {
	for _, m := range mounts {
		ft := corev1.HostPathFile
		vol := corev1.Volume{Name: m.Name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: m.Path, Type: &ft}}}
		mount := corev1.VolumeMount{Name: m.Name, MountPath: m.Path, ReadOnly: true}
		for _, l := range []struct {
			seq   *yaml.Node
			where string
			obj   any
			into  map[string]any
			key   string
		}{
			{lookup(spec, "volumes"), "spec.volumes", vol, specMap, "volumes"},
			{lookup(cnode, "volumeMounts"), "container " + ContainerName + ": volumeMounts", mount, wc, "volumeMounts"},
		} {
			list, err := t.upsert(l.seq, l.where, m.Name, l.obj)
			if err != nil {
				return err
			}
			l.into[l.key] = upsertAny(l.into[l.key], m.Name, list)
		}
	}

	return nil
}
