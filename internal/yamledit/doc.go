// Package yamledit holds the YAML plumbing shared by authstack's file
// patchers and format packages: splitting a stream into documents without
// touching their bytes, writing an edit back either by splicing only the
// added text in or by re-encoding in the style the document was written in,
// and comparing documents by meaning rather than by text. It lives outside
// pkg/patch so that pkg/formats can edit through it too.
package yamledit
