package httpapi

import (
	"fmt"
	"strconv"
	"strings"
)

// A small parser for the YAML subset docs/openapi.yaml is written in, so
// that the contract test needs no YAML library: block mappings and block
// sequences by indentation (spaces only), one-line scalars (plain, 'single'
// or "double" quoted), flow sequences [a, b] and flow mappings {k: v},
// and whole-line comments. Anchors, tags, multi-line scalars and
// multi-document streams are not supported and are reported as errors
// where they would be misread.

type yamlLine struct {
	n      int // 1-based line number
	indent int
	text   string // without indentation and trailing spaces
}

// parseYAML returns the document as map[string]any / []any / string /
// int64 / float64 / bool / nil.
func parseYAML(src string) (any, error) {
	var lines []yamlLine
	for i, raw := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimLeft(raw, " "), "\t") {
			return nil, fmt.Errorf("line %d: tab indentation", i+1)
		}
		t := strings.TrimRight(raw, " \r")
		trimmed := strings.TrimLeft(t, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if trimmed == "---" || strings.HasPrefix(trimmed, "&") || strings.HasPrefix(trimmed, "*") ||
			strings.HasPrefix(trimmed, "!") || strings.HasPrefix(trimmed, "|") || strings.HasPrefix(trimmed, ">") {
			return nil, fmt.Errorf("line %d: unsupported YAML %q", i+1, trimmed)
		}
		lines = append(lines, yamlLine{n: i + 1, indent: len(t) - len(trimmed), text: trimmed})
	}
	p := &yamlParser{lines: lines}
	if len(lines) == 0 {
		return nil, nil
	}
	v, err := p.block(lines[0].indent)
	if err != nil {
		return nil, err
	}
	if p.i != len(lines) {
		return nil, fmt.Errorf("line %d: unexpected indentation", lines[p.i].n)
	}
	return v, nil
}

type yamlParser struct {
	lines []yamlLine
	i     int
}

// block parses the mapping or sequence whose lines start at indent.
func (p *yamlParser) block(indent int) (any, error) {
	if strings.HasPrefix(p.lines[p.i].text, "- ") || p.lines[p.i].text == "-" {
		return p.seq(indent)
	}
	return p.mapping(indent)
}

func (p *yamlParser) seq(indent int) (any, error) {
	out := []any{}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation", l.n)
		}
		if !strings.HasPrefix(l.text, "- ") && l.text != "-" {
			break
		}
		rest := strings.TrimLeft(strings.TrimPrefix(l.text, "-"), " ")
		if rest == "" {
			p.i++
			if p.i >= len(p.lines) || p.lines[p.i].indent <= indent {
				out = append(out, nil)
				continue
			}
			v, err := p.block(p.lines[p.i].indent)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		if _, _, isKey := splitKey(rest); isKey && !strings.HasPrefix(rest, "{") && !strings.HasPrefix(rest, "[") {
			// "- key: value": a mapping whose first line shares the dash.
			inner := indent + len(l.text) - len(rest)
			p.lines[p.i] = yamlLine{n: l.n, indent: inner, text: rest}
			v, err := p.mapping(inner)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		v, err := yamlScalar(rest, l.n)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.i++
	}
	return out, nil
}

func (p *yamlParser) mapping(indent int) (any, error) {
	out := map[string]any{}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation", l.n)
		}
		if strings.HasPrefix(l.text, "- ") {
			return nil, fmt.Errorf("line %d: a list item where a key was expected", l.n)
		}
		k, rest, ok := splitKey(l.text)
		if !ok {
			return nil, fmt.Errorf("line %d: expected key: value, got %q", l.n, l.text)
		}
		key, err := yamlKey(k, l.n)
		if err != nil {
			return nil, err
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", l.n, key)
		}
		p.i++
		if rest != "" {
			v, err := yamlScalar(rest, l.n)
			if err != nil {
				return nil, err
			}
			out[key] = v
			continue
		}
		switch {
		case p.i < len(p.lines) && p.lines[p.i].indent > indent:
			v, err := p.block(p.lines[p.i].indent)
			if err != nil {
				return nil, err
			}
			out[key] = v
		case p.i < len(p.lines) && p.lines[p.i].indent == indent && strings.HasPrefix(p.lines[p.i].text, "- "):
			v, err := p.seq(indent)
			if err != nil {
				return nil, err
			}
			out[key] = v
		default:
			out[key] = nil
		}
	}
	return out, nil
}

// splitKey splits "key: rest" or "key:" at the first ": " outside quotes.
func splitKey(s string) (key, rest string, ok bool) {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case (c == '\'' || c == '"') && i == 0:
			q = c
		case c == '{' || c == '[':
			if i == 0 {
				return "", "", false
			}
		case c == ':' && (i == len(s)-1 || s[i+1] == ' '):
			return s[:i], strings.TrimSpace(s[i+1:]), true
		}
	}
	return "", "", false
}

func yamlKey(k string, n int) (string, error) {
	v, err := yamlScalar(k, n)
	if err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	}
	return fmt.Sprint(v), nil
}

// yamlScalar parses a one-line value: a flow collection or a scalar.
func yamlScalar(s string, n int) (any, error) {
	f := &yamlFlow{s: s, n: n}
	v, err := f.value("")
	if err != nil {
		return nil, err
	}
	f.space()
	if f.i != len(f.s) {
		if _, plain := v.(string); plain && s[0] != '\'' && s[0] != '"' && s[0] != '[' && s[0] != '{' {
			return plainScalar(s), nil
		}
		return nil, fmt.Errorf("line %d: trailing text in %q", n, s)
	}
	return v, nil
}

type yamlFlow struct {
	s string
	i int
	n int
}

func (f *yamlFlow) space() {
	for f.i < len(f.s) && f.s[f.i] == ' ' {
		f.i++
	}
}

// value parses one value; stop lists the characters that end a plain
// scalar (",]}" inside flow collections, ":" also for keys).
func (f *yamlFlow) value(stop string) (any, error) {
	f.space()
	if f.i >= len(f.s) {
		return nil, nil
	}
	switch f.s[f.i] {
	case '[':
		f.i++
		out := []any{}
		for {
			f.space()
			if f.i < len(f.s) && f.s[f.i] == ']' {
				f.i++
				return out, nil
			}
			v, err := f.value(",]")
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			f.space()
			if f.i < len(f.s) && f.s[f.i] == ',' {
				f.i++
				continue
			}
			if f.i < len(f.s) && f.s[f.i] == ']' {
				f.i++
				return out, nil
			}
			return nil, fmt.Errorf("line %d: bad flow sequence %q", f.n, f.s)
		}
	case '{':
		f.i++
		out := map[string]any{}
		for {
			f.space()
			if f.i < len(f.s) && f.s[f.i] == '}' {
				f.i++
				return out, nil
			}
			k, err := f.value(":,}")
			if err != nil {
				return nil, err
			}
			if f.i >= len(f.s) || f.s[f.i] != ':' {
				return nil, fmt.Errorf("line %d: bad flow mapping %q", f.n, f.s)
			}
			f.i++
			v, err := f.value(",}")
			if err != nil {
				return nil, err
			}
			key := fmt.Sprint(k)
			if _, dup := out[key]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", f.n, key)
			}
			out[key] = v
			f.space()
			if f.i < len(f.s) && f.s[f.i] == ',' {
				f.i++
				continue
			}
			if f.i < len(f.s) && f.s[f.i] == '}' {
				f.i++
				return out, nil
			}
			return nil, fmt.Errorf("line %d: bad flow mapping %q", f.n, f.s)
		}
	case '\'':
		var b strings.Builder
		for j := f.i + 1; j < len(f.s); j++ {
			if f.s[j] == '\'' {
				if j+1 < len(f.s) && f.s[j+1] == '\'' {
					b.WriteByte('\'')
					j++
					continue
				}
				f.i = j + 1
				return b.String(), nil
			}
			b.WriteByte(f.s[j])
		}
		return nil, fmt.Errorf("line %d: unterminated quote in %q", f.n, f.s)
	case '"':
		for j := f.i + 1; j < len(f.s); j++ {
			if f.s[j] == '\\' {
				j++
				continue
			}
			if f.s[j] == '"' {
				u, err := strconv.Unquote(f.s[f.i : j+1])
				if err != nil {
					return nil, fmt.Errorf("line %d: %v", f.n, err)
				}
				f.i = j + 1
				return u, nil
			}
		}
		return nil, fmt.Errorf("line %d: unterminated quote in %q", f.n, f.s)
	}
	start := f.i
	for f.i < len(f.s) {
		c := f.s[f.i]
		if stop != "" && strings.IndexByte(stop, c) >= 0 && (c != ':' || f.i+1 == len(f.s) || f.s[f.i+1] == ' ') {
			break
		}
		f.i++
	}
	return plainScalar(strings.TrimSpace(f.s[start:f.i])), nil
}

// plainScalar resolves an unquoted scalar (YAML 1.2 core schema).
func plainScalar(s string) any {
	switch s {
	case "null", "~", "":
		return nil
	case "true":
		return true
	case "false":
		return false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil && strings.ContainsAny(s, ".eE") && s[0] != '.' {
		return x
	}
	return s
}
