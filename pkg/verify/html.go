package verify

import (
	"io"
	"strings"

	"golang.org/x/net/html"
)

// page is what verify needs from an HTML page: its forms, links and the
// text a person would read.
type page struct {
	forms []form
	links []link
	// errors is the text of elements whose class or id names an error
	// (dex's "dex-error-box", "login-error").
	errors []string
	// text is the page's visible text, whitespace collapsed.
	text string
}

type form struct {
	action string
	method string
	inputs []input
}

type input struct {
	name, typ, value string
}

type link struct {
	href, text string
}

// passwordField is the name of the form's password input, or "".
func (f *form) passwordField() string {
	for _, in := range f.inputs {
		if in.typ == "password" {
			return in.name
		}
	}
	return ""
}

// usernameField is the first visible text-like input of the form.
func (f *form) usernameField() string {
	for _, in := range f.inputs {
		switch in.typ {
		case "", "text", "email":
			return in.name
		}
	}
	return ""
}

// submitValue is the value of the submit button named name.
func (f *form) submitValue(name string) (string, bool) {
	for _, in := range f.inputs {
		if in.name == name && in.typ == "submit" {
			return in.value, true
		}
	}
	return "", false
}

func parsePage(r io.Reader) (*page, error) {
	doc, err := html.Parse(r)
	if err != nil {
		return nil, err
	}
	p := &page{}
	var text strings.Builder
	var cur *form
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			text.WriteString(n.Data)
			text.WriteByte(' ')
		case html.ElementNode:
			switch n.Data {
			case "script", "style", "head":
				return
			case "form":
				p.forms = append(p.forms, form{action: attr(n, "action"), method: strings.ToUpper(attr(n, "method"))})
				prev := cur
				cur = &p.forms[len(p.forms)-1]
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
				cur = prev
				return
			case "input":
				if cur != nil && attr(n, "name") != "" {
					cur.inputs = append(cur.inputs, input{name: attr(n, "name"), typ: strings.ToLower(attr(n, "type")), value: attr(n, "value")})
				}
			case "button":
				if cur != nil && attr(n, "name") != "" {
					typ := strings.ToLower(attr(n, "type"))
					if typ == "" {
						typ = "submit"
					}
					cur.inputs = append(cur.inputs, input{name: attr(n, "name"), typ: typ, value: attr(n, "value")})
				}
			case "a":
				if href := attr(n, "href"); href != "" {
					p.links = append(p.links, link{href: href, text: collapse(textOf(n))})
				}
			}
			if isErrorElement(n) {
				if t := collapse(textOf(n)); t != "" {
					p.errors = append(p.errors, t)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	p.text = collapse(text.String())
	return p, nil
}

func isErrorElement(n *html.Node) bool {
	id := strings.ToLower(attr(n, "id"))
	class := strings.ToLower(attr(n, "class"))
	return strings.Contains(id, "error") || strings.Contains(class, "error")
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style") {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// short cuts s to n runes for a one-line detail.
func short(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
