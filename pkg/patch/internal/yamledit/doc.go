// Package yamledit holds the YAML plumbing shared by authstack's file
// patchers: splitting a stream into documents without touching their bytes,
// re-encoding an edited document in the style it was written in, and
// comparing documents by meaning rather than by text.
package yamledit
