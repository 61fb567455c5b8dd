package dexconfig

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/authstack/authstack/internal/yamledit"
)

// File is dex's config in a user's file (a dex config file or the dex Helm
// chart's values), opened to be added to. Edits go to Config; Bytes writes
// back only what they added, so every other byte of the file (sections,
// clients and connectors authstack does not own, their comments and
// indentation) stays as it was.
type File struct {
	Form Form
	// Config is dex's config map in the copy that edits go to; its nodes
	// keep the file's line numbers for messages.
	Config *yaml.Node

	src     []byte
	chunks  []yamledit.Chunk
	at      int        // the chunk holding the document, -1 for none
	doc     *yaml.Node // the document as read
	edited  *yaml.Node // the copy Config lives in
	wasNull bool       // the values' config: was null
}

// Open reads src for editing. A file with nothing but comments is an empty
// dex config file: Bytes then writes the whole config after them.
func Open(src []byte) (*File, error) {
	if err := checkTemplate(src); err != nil {
		return nil, err
	}
	chunks, err := yamledit.Split(src)
	if err != nil {
		return nil, err
	}
	if err := yamledit.Check(src); err != nil {
		return nil, err
	}
	f := &File{Form: FormFile, src: src, chunks: chunks, at: -1}
	for i, c := range chunks {
		if c.Empty() {
			continue
		}
		if f.at >= 0 {
			return nil, fmt.Errorf("line %d: a second YAML document starts here; dex reads one", c.Line-1)
		}
		f.at = i
	}
	if f.at < 0 {
		f.Config = &yaml.Node{Kind: yaml.MappingNode}
		return f, nil
	}
	doc, err := chunks[f.at].Parse()
	if err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		// Text that YAML reads as no document at all, such as a lone byte order mark.
		return nil, fmt.Errorf("line %d: no YAML document in the file", chunks[f.at].Line)
	}
	root := doc.Content[0]
	if f.Form, err = detect(root, true); err != nil {
		return nil, err
	}
	if _, err := yamledit.Canonical(root); err != nil {
		return nil, err
	}
	f.doc, f.edited = doc, yamledit.Copy(doc)
	switch f.Form {
	case FormFile:
		f.Config = f.edited.Content[0]
	case FormHelmValues:
		if err := checkChartWritesConfig(root); err != nil {
			return nil, err
		}
		_, v := yamledit.Lookup(f.edited.Content[0], helmConfigKey)
		if yamledit.IsNull(v) {
			f.wasNull = true
			v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			yamledit.Set(f.edited.Content[0], helmConfigKey, v)
		}
		f.Config = v
	default:
		return nil, fmt.Errorf("not a dex config file: it is a %s that carries one in %s; name dex's own config file (the one passed to dex serve) or the dex Helm chart's values file instead", f.Form, ConfigKey)
	}
	return f, nil
}

// checkChartWritesConfig refuses Helm values whose config: the chart does
// not use: with configSecret.create false it mounts an existing Secret
// instead (charts/dex/values.yaml, configSecret), so what authstack merged
// into config: would never reach dex.
func checkChartWritesConfig(values *yaml.Node) error {
	_, cs := yamledit.Lookup(values, "configSecret")
	_, create := yamledit.Lookup(cs, "create")
	if create != nil && create.Kind == yaml.ScalarNode && create.Value == "false" {
		name := "its configSecret.name"
		if _, n := yamledit.Lookup(cs, "name"); n != nil && n.Value != "" {
			name = "the Secret " + n.Value
		}
		return fmt.Errorf("line %d: configSecret.create is false, so the dex chart ignores config: and dex reads %s: merge into the %s key of that Secret's dex config instead", create.Line, name, ConfigKey)
	}
	return nil
}

// Where names the place of dex's config in the file for messages: "" for
// a dex config file, "config." for Helm values.
func (f *File) Where() string {
	if f.Form == FormHelmValues {
		return helmConfigKey + "."
	}
	return ""
}

// Bytes is the file with the edits written in. Nothing but the added text
// changes; an edit that removes or changes a setting is refused.
func (f *File) Bytes() ([]byte, error) {
	if f.at < 0 {
		if len(f.Config.Content) == 0 {
			return f.src, nil
		}
		out, err := yamledit.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{f.Config}}, yamledit.Style{Indent: 2, CompactSeq: true})
		if err != nil {
			return nil, err
		}
		// Nothing to keep but comments: the config goes after them.
		text := string(f.src)
		eol := yamledit.EOL(text)
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += eol
		}
		return []byte(text + strings.ReplaceAll(string(out), "\n", eol)), nil
	}
	if f.wasNull && len(f.Config.Content) == 0 {
		return f.src, nil
	}
	st := yamledit.DetectStyle(f.doc, yamledit.Style{Indent: 2, CompactSeq: true})
	body, err := f.chunks[f.at].Splice(f.doc, f.edited, st)
	if err != nil {
		return nil, err
	}
	chunks := append([]yamledit.Chunk(nil), f.chunks...)
	chunks[f.at].Body = body
	return yamledit.Join(chunks), nil
}
