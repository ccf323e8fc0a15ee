package manifest

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// hasOtherBreak reports a line break YAML 1.1 parsers (yaml/v2, the
// libyaml family, kubectl's sigs.k8s.io/yaml) honour besides \n: CR, NEL
// (U+0085), LINE SEPARATOR (U+2028), PARAGRAPH SEPARATOR (U+2029).
func hasOtherBreak(s string) bool {
	return strings.ContainsAny(s, "\r\u0085\u2028\u2029")
}

// doubleQuoted is s as one YAML double-quoted line: every line break and
// every character a YAML parser may not take raw (controls, the C1 range,
// the byte order mark, the non-characters) escaped, so that it reads back
// as s at any indentation and in any YAML version.
func doubleQuoted(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\uFFFD`) // not reached: the tree holds valid UTF-8
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == 0x85:
			b.WriteString(`\N`)
		case r == 0x2028:
			b.WriteString(`\L`)
		case r == 0x2029:
			b.WriteString(`\P`)
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
			b.WriteString(`\x`)
			b.WriteString(hex2(r))
		case r == 0xfeff || r == 0xfffe || r == 0xffff || r >= 0xd800 && r <= 0xdfff:
			b.WriteString(`\u`)
			b.WriteString(strings.ToUpper(strconv.FormatInt(int64(r)|0x10000, 16)[1:]))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func hex2(r rune) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[r>>4], digits[r&0xf]})
}
