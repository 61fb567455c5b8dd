// Package formats holds one package per artifact format authstack writes
// or reads (dexconfig, oauth2proxy, kubeapiserver, ingressnginx): each has
// the one typed model, Parse for every form users have, Print, and a
// byte-preserving Edit where authstack patches the file. This package's
// test checks that render, patch, doctor and import use them.
package formats
