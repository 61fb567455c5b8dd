package doctor

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTextColorsOnlyWhenAsked(t *testing.T) {
	a := healthy(t)
	a.claims["exp"] = testNow.Add(-time.Minute).Unix()
	r := Diagnose(a.model(t))
	var plain, color bytes.Buffer
	if err := WriteText(&plain, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&color, r, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain output has ANSI escapes")
	}
	if !strings.Contains(color.String(), "\x1b[31m×\x1b[0m AS-11") || !strings.Contains(color.String(), "\x1b[32m✓\x1b[0m") {
		t.Errorf("colored output lacks a red × for AS-11 or a green ✓:\n%s", color.String())
	}
}

func TestJSONSchema(t *testing.T) {
	a := healthy(t)
	a.claims["exp"] = testNow.Add(-time.Minute).Unix()
	var out bytes.Buffer
	if err := WriteJSON(&out, Diagnose(a.model(t))); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) == 0 {
		t.Fatal("no findings for an expired token")
	}
	for _, f := range doc.Findings {
		for _, k := range []string{"code", "name", "severity", "category", "message", "evidence"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding %v lacks %q", f["code"], k)
			}
		}
		if _, ok := f["evidence"].([]any); !ok {
			t.Errorf("finding %v: evidence is not an array", f["code"])
		}
	}
}

func TestNoEvidenceSaysSo(t *testing.T) {
	var out bytes.Buffer
	r := Diagnose(&Model{Now: testNow})
	if err := WriteText(&out, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(r.Ran) != 0 || !strings.Contains(out.String(), "no evidence") {
		t.Errorf("ran %v on an empty model:\n%s", r.Ran, out.String())
	}
}
