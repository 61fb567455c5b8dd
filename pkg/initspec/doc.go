// Package initspec turns the answers of `authstack init` (wizard or flags)
// into an AuthStack spec. It checks answers with the same defaulting and
// validation as `authstack validate`, so a spec that init writes always
// loads, and it marshals the spec as short YAML with only what was answered.
package initspec
