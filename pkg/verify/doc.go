// Package verify logs in to a running stack as a real user, the way a person
// does, and reports every hop of the login path: issuer discovery, the
// connector's login form, the id token's claims, the API server, RBAC, and
// each app behind oauth2-proxy. It drives dex's HTML flow over HTTP with a
// cookie jar instead of a browser, so it runs anywhere.
package verify
