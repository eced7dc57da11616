package match

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// MaxLineSize is the longest log line read; longer lines are skipped.
const MaxLineSize = 1 << 20

// LineDecoder reads JSON-lines logs as observations, by a Mapping. Lines
// whose shape the mapping does not expect — not a JSON object, no time, a
// mapped field of the wrong JSON type, an event type not mapped, no mapped
// field at all — are skipped and counted by reason (Skips).
//
// An observation returned by Next or Decode, with its strings, is valid
// until the next call: the decoder reuses its memory.
type LineDecoder struct {
	m     *Mapping
	r     *bufio.Reader
	line  int
	skips Skips
	obs   Observation

	key, path []byte
	strs      []byte // unescaped and converted strings of the current line
	assigns   []assign
	scratch   []assign
	slots     []slot
	objs      []Object
	props     []Prop
	elem      int
	when      time.Time
	whenRank  int
	sel       string
	selSeen   bool
	host, uri string
	reason    string
	only      map[string]bool // when set, the object types built
	mapped    int             // targets the line filled, built or not
}

// Only makes the decoder build only the objects that the patterns of idx
// can look at: when no pattern follows a reference, objects of the types
// no pattern starts from are left out (their fields are still checked).
// It saves most of the decoding of rich logs against simple indicators.
func (d *LineDecoder) Only(idx *Index) {
	types, refs := idx.Types()
	if refs {
		d.only = nil
		return
	}
	d.only = types
}

// assign is a value for one target of the current line.
type assign struct {
	tg   *Target
	typ  string // the object type (ip resolved)
	elem int
	v    Value
	obj  int
}

// slot is an object of the current line: its slot name and list item.
type slot struct {
	name string
	elem int
	typ  string
}

// NewLineDecoder returns a decoder of the JSON lines read from r.
func NewLineDecoder(r io.Reader, m *Mapping) *LineDecoder {
	d := &LineDecoder{m: m}
	if r != nil {
		d.r = bufio.NewReaderSize(r, 64<<10)
	}
	return d
}

// Skips returns the count of lines skipped, by reason.
func (d *LineDecoder) Skips() *Skips { return &d.skips }

// Next returns the observation of the next line that maps to one, or
// io.EOF at the end; other errors are the reader's.
func (d *LineDecoder) Next() (*Observation, error) {
	for {
		line, err := d.readLine()
		if err != nil {
			return nil, err
		}
		d.line++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		obs, reason := d.Decode(line)
		if reason != "" {
			d.skips.Add(reason)
			continue
		}
		obs.Line = d.line
		return obs, nil
	}
}

// readLine returns the next line without its newline; a line longer than
// MaxLineSize comes back empty and is counted as skipped.
func (d *LineDecoder) readLine() ([]byte, error) {
	line, err := d.r.ReadSlice('\n')
	if err == nil || err == io.EOF && len(line) > 0 {
		return bytes.TrimRight(line, "\r\n"), nil
	}
	if err != bufio.ErrBufferFull {
		return nil, err
	}
	buf := slices.Clone(line)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = d.r.ReadSlice('\n')
		if len(buf) <= MaxLineSize {
			buf = append(buf, line...)
		}
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(buf) > MaxLineSize {
		d.skips.Add(fmt.Sprintf("line longer than %d bytes", MaxLineSize))
		return nil, nil
	}
	return bytes.TrimRight(buf, "\r\n"), nil
}

// Decode maps one line to an observation, or returns why the line is
// skipped. The observation's Raw is line.
func (d *LineDecoder) Decode(line []byte) (*Observation, string) {
	d.assigns, d.slots, d.objs, d.props = d.assigns[:0], d.slots[:0], d.objs[:0], d.props[:0]
	d.strs = d.strs[:0]
	d.elem, d.whenRank, d.when = 0, 0, time.Time{}
	d.sel, d.selSeen, d.host, d.uri, d.reason, d.mapped = "", false, "", "", "", 0
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return nil, "not a JSON object"
	}
	end, err := d.object(line, i, 0, 0)
	if err != nil {
		if d.reason != "" {
			return nil, d.reason
		}
		return nil, "not valid JSON"
	}
	if skipSpace(line, end) != len(line) {
		return nil, "not valid JSON: text after the object"
	}
	m := d.m
	if d.selSeen && m.Select != "" && !slices.Contains(m.Accept, d.sel) {
		return nil, m.Select + " " + truncate(d.sel, 40) + " is not mapped"
	}
	if d.whenRank == 0 {
		return nil, "no time (" + strings.Join(m.Time, ", ") + ")"
	}
	if d.when.IsZero() {
		return nil, m.Time[d.whenRank-1] + " is not a time"
	}
	if m.URL != nil && d.uri != "" && (d.host != "" || strings.Contains(d.uri, "://")) && (d.only == nil || d.only["url"]) {
		u := d.uri
		if !strings.Contains(u, "://") {
			start := len(d.strs)
			d.strs = append(d.strs, "http://"...)
			d.strs = append(d.strs, d.host...)
			if !strings.HasPrefix(u, "/") {
				d.strs = append(d.strs, '/')
			}
			d.strs = append(d.strs, u...)
			u = d.str(start)
		}
		d.assigns = append(d.assigns, assign{tg: &m.urlTarget, typ: "url", v: String(u)})
	}
	if d.mapped == 0 && len(d.assigns) == 0 {
		return nil, "no mapped field"
	}
	d.build()
	d.obs = Observation{First: d.when, Last: d.when, Objects: d.objs, Raw: line}
	return &d.obs, ""
}

// str returns d.strs[start:] as a string that lives until the next line.
func (d *LineDecoder) str(start int) string { return strAt(d.strs, start) }

// strAt returns buf[start:] as a string that shares buf's memory.
func strAt(buf []byte, start int) string {
	if len(buf) == start {
		return ""
	}
	return unsafe.String(&buf[start], len(buf)-start)
}

// bytesStr returns b as a string that lives as long as b's memory.
func bytesStr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// object reads the JSON object at b[i] whose path is d.path[:plen],
// taking in the mapped fields and skipping the rest.
func (d *LineDecoder) object(b []byte, i, plen, depth int) (int, error) {
	if depth >= maxJSONDepth {
		return i, jerr(i, "nested too deeply")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, jerr(i, "expected a member name")
		}
		key, j, err := parseString(b, i, d.key)
		if err != nil {
			return j, err
		}
		if len(key) > 0 && &key[0] != &b[i+1] {
			d.key = key[:0]
		}
		d.path = d.path[:plen]
		if plen > 0 {
			d.path = append(d.path, '.')
		}
		d.path = append(d.path, key...)
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return i, jerr(i, `expected ":"`)
		}
		i = skipSpace(b, i+1)
		if i, err = d.member(b, i, len(d.path), depth); err != nil {
			return i, err
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return i + 1, nil
		}
		return i, jerr(i, `expected "," or "}"`)
	}
}

// member reads the value at b[i] of the field whose path is
// d.path[:plen].
func (d *LineDecoder) member(b []byte, i, plen, depth int) (int, error) {
	if i >= len(b) {
		return i, jerr(i, "unexpected end")
	}
	info := d.m.info[string(d.path[:plen])]
	if info == nil {
		return skipValue(b, i, depth)
	}
	switch b[i] {
	case '{':
		if info.prefix {
			return d.object(b, i, plen, depth+1)
		}
	case '[':
		if info.prefix {
			d.path = append(d.path[:plen], "[]"...)
			return d.list(b, i, len(d.path), depth+1)
		}
	}
	if info.targets == nil && info.time == 0 && !info.sel && !info.urlHost && !info.urlPath {
		return skipValue(b, i, depth)
	}
	return d.scalar(b, i, info, depth)
}

// list reads the JSON list at b[i] whose items' path is d.path[:plen].
func (d *LineDecoder) list(b []byte, i, plen, depth int) (int, error) {
	if depth >= maxJSONDepth {
		return i, jerr(i, "nested too deeply")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		d.elem++
		d.path = d.path[:plen]
		var err error
		if i, err = d.member(b, i, plen, depth); err != nil {
			return i, err
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		return i, jerr(i, `expected "," or "]"`)
	}
}

// scalar reads the value of a mapped field.
func (d *LineDecoder) scalar(b []byte, i int, info *fieldInfo, depth int) (int, error) {
	var v Value
	var end int
	switch c := b[i]; {
	case c == '"':
		s, j, err := parseString(b, i, d.strs[len(d.strs):])
		if err != nil {
			return j, err
		}
		if len(s) > 0 && &s[0] != &b[i+1] {
			start := len(d.strs)
			d.strs = append(d.strs, s...)
			v = String(d.str(start))
		} else {
			v = String(bytesStr(s))
		}
		end = j
	case c == '{' || c == '[':
		j, err := skipValue(b, i, depth)
		if err != nil {
			return j, err
		}
		return j, d.wrongType(info, "an object or list")
	default:
		var err error
		v, end, err = parseScalar(b, i)
		if err != nil {
			return end, err
		}
	}
	if v.Kind == KindNull {
		return end, nil
	}
	if info.time > 0 && (d.whenRank == 0 || info.time < d.whenRank) {
		d.whenRank, d.when = info.time, parseTime(v)
	}
	if info.sel && v.Kind == KindString {
		d.sel, d.selSeen = v.Str, true
	}
	if info.urlHost && v.Kind == KindString {
		d.host = v.Str
	}
	if info.urlPath && v.Kind == KindString {
		d.uri = v.Str
	}
	for k := range info.targets {
		tg := &info.targets[k]
		switch {
		case tg.Want == "string" && v.Kind != KindString:
			return end, d.wrongType(info, "not a string")
		case tg.Want == "number" && v.Kind != KindInt && v.Kind != KindFloat:
			return end, d.wrongType(info, "not a number")
		}
		w := v
		if w.Kind == KindString {
			w.Str = d.convert(tg.Conv, w.Str)
		}
		typ := tg.Type
		switch typ {
		case "ip":
			typ = ipType(w.Str)
		case "ip-or-domain":
			if _, err := netip.ParseAddr(w.Str); err == nil {
				typ = ipType(w.Str)
			} else {
				typ = "domain-name"
			}
		}
		d.mapped++
		if d.only != nil && !d.only[typ] {
			continue
		}
		elem := 0
		if strings.HasSuffix(tg.Slot, "[]") {
			elem = d.elem
		}
		d.assigns = append(d.assigns, assign{tg: tg, typ: typ, elem: elem, v: w})
	}
	return end, nil
}

// wrongType records why the line is skipped and returns an error that
// stops reading it.
func (d *LineDecoder) wrongType(info *fieldInfo, what string) error {
	d.reason = string(d.path) + ": " + what
	return errors.New(d.reason)
}

func ipType(s string) string {
	if strings.IndexByte(s, ':') >= 0 {
		return "ipv6-addr"
	}
	return "ipv4-addr"
}

// convert applies a target's conversions to s.
func (d *LineDecoder) convert(conv, s string) string {
	if conv == "" {
		return s
	}
	return convertTo(&d.strs, strings.Contains(conv, "lower"), strings.Contains(conv, "hex"), s)
}

// convertTo lower-cases s (lower) and drops its colons (hex), writing what
// changes to *buf; the result lives as long as the memory of *buf.
func convertTo(buf *[]byte, lower, hex bool, s string) string {
	if lower && strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' }) >= 0 {
		start := len(*buf)
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			*buf = append(*buf, c)
		}
		s = strAt(*buf, start)
	}
	if hex && strings.IndexByte(s, ':') >= 0 {
		start := len(*buf)
		for i := 0; i < len(s); i++ {
			if s[i] != ':' {
				*buf = append(*buf, s[i])
			}
		}
		s = strAt(*buf, start)
	}
	return s
}

// parseTime reads an event time: RFC 3339 (Suricata writes the offset
// without a colon), or seconds since 1970. The zero time when it is
// neither.
func parseTime(v Value) time.Time {
	switch v.Kind {
	case KindString:
		if t, ok := parseRFC3339(v.Str); ok {
			return t
		}
	case KindInt:
		return time.Unix(v.Num, 0).UTC()
	case KindFloat:
		f := v.Float()
		if f > 0 && f < 1<<40 {
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
		}
	}
	return time.Time{}
}

// parseRFC3339 reads YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|+HHMM), in
// UTC, without time.Parse's cost on every log line.
func parseRFC3339(s string) (time.Time, bool) {
	minute, ok := rfc3339Minute(s)
	if !ok {
		return time.Time{}, false
	}
	return rfc3339Rest(s, minute)
}

// digits reads the n decimal digits of s at i.
func digits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// rfc3339Minute reads the date, hour and minute of an RFC 3339 time (the
// first 17 bytes, "YYYY-MM-DDTHH:MM:") and returns that minute in UTC.
func rfc3339Minute(s string) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(s, 0, 4)
	month, ok2 := digits(s, 5, 2)
	day, ok3 := digits(s, 8, 2)
	hour, ok4 := digits(s, 11, 2)
	minute, ok5 := digits(s, 14, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, 0, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // February 30th and the like
	}
	return t, true
}

// rfc3339Rest reads the seconds, fraction and offset of an RFC 3339 time
// (from byte 17) whose minute rfc3339Minute read.
func rfc3339Rest(s string, minute time.Time) (time.Time, bool) {
	sec, ok := digits(s, 17, 2)
	if !ok || sec > 60 {
		return time.Time{}, false
	}
	i, nsec := 19, 0
	if i < len(s) && s[i] == '.' {
		i++
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if n < 9 {
				nsec = nsec*10 + int(s[i]-'0')
				n++
			}
			i++
		}
		if n == 0 {
			return time.Time{}, false
		}
		for ; n < 9; n++ {
			nsec *= 10
		}
	}
	offset := 0
	switch {
	case i < len(s) && (s[i] == 'Z' || s[i] == 'z') && i+1 == len(s):
	case i < len(s) && (s[i] == '+' || s[i] == '-'):
		rest := s[i+1:]
		var hh, mm int
		var ok1, ok2 bool
		switch len(rest) {
		case 5:
			if rest[2] != ':' {
				return time.Time{}, false
			}
			hh, ok1 = digits(s, i+1, 2)
			mm, ok2 = digits(s, i+4, 2)
		case 4:
			hh, ok1 = digits(s, i+1, 2)
			mm, ok2 = digits(s, i+3, 2)
		}
		if !ok1 || !ok2 || hh > 23 || mm > 59 {
			return time.Time{}, false
		}
		offset = (hh*60 + mm) * 60
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := minute.Add(time.Duration(sec)*time.Second + time.Duration(nsec))
	if t.Day() != minute.Day() {
		return time.Time{}, false // 23:59:60 rolls over the day
	}
	return t.Add(-time.Duration(offset) * time.Second), true
}

// minuteCache remembers the minute of the last RFC 3339 time read: the
// times of a log's lines share it, and the rest is cheap to read.
type minuteCache struct {
	prefix [17]byte
	minute time.Time
	ok     bool
}

// parseTime is parseTime, reading the date, hour and minute only when they
// differ from the last time's.
func (c *minuteCache) parseTime(v Value) time.Time {
	if v.Kind != KindString || len(v.Str) < 20 {
		return parseTime(v)
	}
	if !c.ok || string(c.prefix[:]) != v.Str[:17] {
		m, ok := rfc3339Minute(v.Str)
		if !ok {
			return time.Time{}
		}
		copy(c.prefix[:], v.Str)
		c.minute, c.ok = m, true
	}
	t, _ := rfc3339Rest(v.Str, c.minute)
	return t
}

// build turns the assignments of the line into objects.
func (d *LineDecoder) build() {
	// Give each assignment its object.
	for k := range d.assigns {
		a := &d.assigns[k]
		a.obj = d.slotOf(a.tg.Slot, a.elem, a.typ)
	}
	// Links become assignments of references.
	for li, l := range d.m.Links {
		tg := &d.m.linkTargets[li]
		from := d.findSlot(l.From)
		if from < 0 {
			continue
		}
		if strings.HasSuffix(l.To, "[]") {
			start := len(d.props)
			for n, s := range d.slots {
				if s.name == l.To {
					d.props = append(d.props, Prop{Value: Ref(n)})
				}
			}
			if len(d.props) > start {
				sub := d.props[start:len(d.props):len(d.props)]
				d.assigns = append(d.assigns, assign{tg: tg, obj: from, v: Value{Kind: KindList, Sub: sub}})
			}
			continue
		}
		if to := d.findSlot(l.To); to >= 0 {
			d.assigns = append(d.assigns, assign{tg: tg, obj: from, v: Ref(to)})
		}
	}
	for n := range d.slots {
		d.objs = append(d.objs, Object{Type: d.slots[n].typ})
	}
	// Each object's assignments, in their order, gathered in the scratch
	// space (objects and assignments are few: no sorting).
	for n := range d.objs {
		d.scratch = d.scratch[:0]
		for _, a := range d.assigns {
			if a.obj == n {
				d.scratch = append(d.scratch, a)
			}
		}
		d.objs[n].Props = d.propsOf(d.scratch, 0)
	}
	d.scratch = d.scratch[:0]
}

// slotOf returns the object of slot name (item elem), adding it.
func (d *LineDecoder) slotOf(name string, elem int, typ string) int {
	for n, s := range d.slots {
		if s.name == name && s.elem == elem && s.typ == typ {
			return n
		}
	}
	d.slots = append(d.slots, slot{name: name, elem: elem, typ: typ})
	return len(d.slots) - 1
}

// findSlot returns the first object of slot name, or -1.
func (d *LineDecoder) findSlot(name string) int {
	for n, s := range d.slots {
		if s.name == name {
			return n
		}
	}
	return -1
}

// propsOf builds the properties that assignments as give at path depth
// depth: their keys in order of first appearance, nested dictionaries
// for longer paths, lists for targets that append.
func (d *LineDecoder) propsOf(as []assign, depth int) []Prop {
	// The distinct keys, in order.
	var keys [16]string
	names := keys[:0]
	for _, a := range as {
		if k := a.tg.Path[depth]; !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	start := len(d.props)
	for range names {
		d.props = append(d.props, Prop{})
	}
	for n, k := range names {
		// The assignments under key k, gathered in the scratch space above
		// those of the callers.
		mark := len(d.scratch)
		leaf, list := false, false
		for _, a := range as {
			if a.tg.Path[depth] == k {
				d.scratch = append(d.scratch, a)
				if len(a.tg.Path) == depth+1 {
					leaf = true
					list = list || a.tg.list
				}
			}
		}
		group := d.scratch[mark:]
		var v Value
		switch {
		case leaf && list:
			s := len(d.props)
			for _, a := range group {
				d.props = append(d.props, Prop{Value: a.v})
			}
			v = Value{Kind: KindList, Sub: d.props[s:len(d.props):len(d.props)]}
		case leaf:
			v = group[len(group)-1].v
		default:
			v = Value{Kind: KindDict, Sub: d.propsOf(group, depth+1)}
		}
		d.props[start+n] = Prop{Key: k, Value: v}
		d.scratch = d.scratch[:mark]
	}
	return d.props[start : start+len(names) : start+len(names)]
}

// truncate cuts s to n bytes for a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
