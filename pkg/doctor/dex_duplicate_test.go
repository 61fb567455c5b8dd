package doctor

import "testing"

// Of two static clients with one id, dex uses the last (dexidp/dex
// storage/static.go WithStaticClients): doctor compares with that one, not
// the first.
func TestDexClientIDTwiceUsesTheLast(t *testing.T) {
	m := &Model{}
	cfg := "issuer: https://dex.example.com\nstorage:\n  type: memory\nstaticClients:\n" +
		"- id: kubernetes\n  public: true\n  redirectURIs: [http://localhost:8000]\n" +
		"- id: kubernetes\n  secret: s3cret\n  redirectURIs: [https://other.example.com/callback]\n"
	if err := m.AddDexConfig("dex.yaml", []byte(cfg)); err != nil {
		t.Fatal(err)
	}
	c := m.Dex.Client("kubernetes")
	if c == nil || c.Index != 1 || c.Public || c.Secret != "s3cret" {
		t.Fatalf("Client(kubernetes) = %+v, want staticClients[1]", c)
	}
}
