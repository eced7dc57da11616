package match

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Mapping says how the fields of a JSON-lines log become the
// cyber-observable objects of an observation. Fields are named by their
// dotted path from the top of the line ("dns.rrname"; Zeek's flat
// "id.orig_h" is the same path), with "[]" for the items of a list
// ("dns.answers[].rdata", "answers[]").
type Mapping struct {
	// Name names the log format.
	Name string
	// Time lists the fields that may hold the event's time, in order: an
	// RFC 3339 string (with or without the colon in the offset), or a
	// number of seconds since 1970 (Zeek's ts).
	Time []string
	// Select, when set, names a field whose value must be one of Accept,
	// else the line is skipped (Suricata's event_type, Zeek's _path when
	// present).
	Select string
	Accept []string
	// Fields maps field paths to the object properties they fill.
	Fields map[string][]Target
	// Links add references between the objects built.
	Links []Link
	// URL, when set, builds a url object from a host and a path field, as
	// http://host/path (used when the path is not already a URL).
	URL *URLRule

	prefixes map[string]bool       // paths of objects and lists that hold mapped fields
	info     map[string]*fieldInfo // what each mapped path is used for
	// The targets of the properties Links and URL fill.
	linkTargets []Target
	urlTarget   Target
}

// fieldInfo is what one field path of a mapping is used for.
type fieldInfo struct {
	prefix  bool // objects or lists at this path hold mapped fields
	targets []Target
	time    int // 1 + its position in Mapping.Time, or 0
	sel     bool
	urlHost bool
	urlPath bool
}

// Target is one object property a field fills.
type Target struct {
	// Slot names the object: targets of one slot fill one object. A slot
	// ending in "[]" makes one object per item of the list the field is in.
	Slot string
	// Type is the object type: a STIX cyber-observable type, or "ip" for
	// ipv4-addr or ipv6-addr by the value, or "ip-or-domain" for those or
	// domain-name.
	Type string
	// Path is the property path within the object, e.g. ["hashes", "MD5"].
	Path []string
	// Want is the JSON type the field must have: "string", "number" or ""
	// for either. A field of another type makes the line skipped.
	Want string
	// Conv converts the value: "lower" lower-cases it, "hex" drops the
	// colons of a colon-separated hex string, "list" appends it to a list
	// property.
	Conv string

	list bool // Conv holds "list"
}

// Link adds to the object of slot From a property Prop referencing the
// object of slot To (a list of references when To ends in "[]").
type Link struct {
	From, Prop, To string
}

// URLRule builds a url object in slot Slot from the Host and Path fields'
// values.
type URLRule struct {
	Host, Path, Slot string
}

// prepare fills the prefixes of m's field paths and what each is for.
func (m *Mapping) prepare() {
	m.prefixes = map[string]bool{}
	m.info = map[string]*fieldInfo{}
	info := func(p string) *fieldInfo {
		if m.info[p] == nil {
			m.info[p] = &fieldInfo{}
		}
		return m.info[p]
	}
	for p, ts := range m.Fields {
		for i := range ts {
			ts[i].list = strings.Contains(ts[i].Conv, "list")
		}
		info(p).targets = ts
	}
	for i, p := range m.Time {
		info(p).time = i + 1
	}
	if m.Select != "" {
		info(m.Select).sel = true
	}
	if m.URL != nil {
		info(m.URL.Host).urlHost = true
		info(m.URL.Path).urlPath = true
		m.urlTarget = Target{Slot: m.URL.Slot, Type: "url", Path: []string{"value"}}
	}
	m.linkTargets = make([]Target, len(m.Links))
	for i, l := range m.Links {
		m.linkTargets[i] = Target{Path: []string{l.Prop}}
	}
	add := func(p string) {
		for i := 0; i < len(p); i++ {
			if p[i] == '.' || p[i] == '[' {
				m.prefixes[p[:i]] = true
			}
		}
	}
	for p := range m.Fields {
		add(p)
	}
	for _, p := range m.Time {
		add(p)
	}
	if m.Select != "" {
		add(m.Select)
	}
	if m.URL != nil {
		add(m.URL.Host)
		add(m.URL.Path)
	}
	for p := range m.prefixes {
		info(p).prefix = true
	}
}

// t is shorthand for built-in targets: "type@slot:path.to.prop".
func t(spec, want, conv string) Target {
	typ, rest, _ := strings.Cut(spec, "@")
	slot, path, _ := strings.Cut(rest, ":")
	return Target{Slot: slot, Type: typ, Path: strings.Split(path, "."), Want: want, Conv: conv}
}

// The built-in mappings, by name.
var builtin = map[string]*Mapping{
	"suricata": suricata(),
	"zeek":     zeek(),
}

// BuiltinMapping returns the built-in mapping of a log format: "suricata"
// (EVE JSON) or "zeek" (JSON logs).
func BuiltinMapping(name string) (*Mapping, bool) {
	m, ok := builtin[name]
	return m, ok
}

// flow are the targets and links of a network connection: addresses
// src and dst, and the network-traffic object flow.
var flowLinks = []Link{{From: "flow", Prop: "src_ref", To: "src"}, {From: "flow", Prop: "dst_ref", To: "dst"}}

const httpExt = "extensions.http-request-ext."

// suricata maps Suricata EVE JSON: alert, dns, http, tls, fileinfo and flow
// events.
func suricata() *Mapping {
	m := &Mapping{
		Name:   "suricata",
		Time:   []string{"timestamp"},
		Select: "event_type",
		Accept: []string{"alert", "dns", "http", "tls", "fileinfo", "flow"},
		Fields: map[string][]Target{
			"src_ip":    {t("ip@src:value", "string", "")},
			"dest_ip":   {t("ip@dst:value", "string", "")},
			"src_port":  {t("network-traffic@flow:src_port", "number", "")},
			"dest_port": {t("network-traffic@flow:dst_port", "number", "")},
			"proto":     {t("network-traffic@flow:protocols", "string", "lower list")},
			"app_proto": {t("network-traffic@flow:protocols", "string", "lower list")},
			// dns: EVE version 2 (one name per event, answers list or
			// grouped) and version 3 (queries list).
			"dns.rrname":           {t("domain-name@query:value", "string", "")},
			"dns.queries[].rrname": {t("domain-name@query[]:value", "string", "")},
			"dns.answers[].rdata":  {t("ip-or-domain@answer[]:value", "string", "")},
			"dns.grouped.A[]":      {t("ip@answer[]:value", "string", "")},
			"dns.grouped.AAAA[]":   {t("ip@answer[]:value", "string", "")},
			"dns.grouped.CNAME[]":  {t("domain-name@answer[]:value", "string", "")},
			"http.hostname":        {t("domain-name@host:value", "string", ""), t("network-traffic@flow:"+httpExt+"request_header.Host", "string", "")},
			"http.url":             {t("network-traffic@flow:"+httpExt+"request_value", "string", "")},
			"http.http_method":     {t("network-traffic@flow:"+httpExt+"request_method", "string", "")},
			"http.http_user_agent": {t("network-traffic@flow:"+httpExt+"request_header.User-Agent", "string", "")},
			"tls.sni":              {t("domain-name@sni:value", "string", "")},
			"tls.subject":          {t("x509-certificate@cert:subject", "string", "")},
			"tls.issuerdn":         {t("x509-certificate@cert:issuer", "string", "")},
			"tls.serial":           {t("x509-certificate@cert:serial_number", "string", "")},
			"tls.fingerprint":      {t("x509-certificate@cert:hashes.SHA-1", "string", "hex")},
			"tls.notbefore":        {t("x509-certificate@cert:validity_not_before", "string", "")},
			"tls.notafter":         {t("x509-certificate@cert:validity_not_after", "string", "")},
			"fileinfo.filename":    {t("file@file:name", "string", "")},
			"fileinfo.md5":         {t("file@file:hashes.MD5", "string", "")},
			"fileinfo.sha1":        {t("file@file:hashes.SHA-1", "string", "")},
			"fileinfo.sha256":      {t("file@file:hashes.SHA-256", "string", "")},
			"fileinfo.size":        {t("file@file:size", "number", "")},
			"flow.bytes_toserver":  {t("network-traffic@flow:src_byte_count", "number", "")},
			"flow.bytes_toclient":  {t("network-traffic@flow:dst_byte_count", "number", "")},
			"flow.pkts_toserver":   {t("network-traffic@flow:src_packets", "number", "")},
			"flow.pkts_toclient":   {t("network-traffic@flow:dst_packets", "number", "")},
			"flow.start":           {t("network-traffic@flow:start", "string", "")},
			"flow.end":             {t("network-traffic@flow:end", "string", "")},
		},
		Links: slices.Concat(flowLinks, []Link{
			{From: "query", Prop: "resolves_to_refs", To: "answer[]"},
		}),
		URL: &URLRule{Host: "http.hostname", Path: "http.url", Slot: "url"},
	}
	m.prepare()
	return m
}

// zeek maps Zeek's JSON logs: conn, dns, http, files and ssl.
func zeek() *Mapping {
	m := &Mapping{
		Name:   "zeek",
		Time:   []string{"ts"},
		Select: "_path",
		Accept: []string{"conn", "dns", "http", "files", "ssl"},
		Fields: map[string][]Target{
			"id.orig_h":   {t("ip@src:value", "string", "")},
			"id.resp_h":   {t("ip@dst:value", "string", "")},
			"id.orig_p":   {t("network-traffic@flow:src_port", "number", "")},
			"id.resp_p":   {t("network-traffic@flow:dst_port", "number", "")},
			"proto":       {t("network-traffic@flow:protocols", "string", "lower list")},
			"service":     {t("network-traffic@flow:protocols", "string", "lower list")},
			"orig_bytes":  {t("network-traffic@flow:src_byte_count", "number", "")},
			"resp_bytes":  {t("network-traffic@flow:dst_byte_count", "number", "")},
			"orig_pkts":   {t("network-traffic@flow:src_packets", "number", "")},
			"resp_pkts":   {t("network-traffic@flow:dst_packets", "number", "")},
			"query":       {t("domain-name@query:value", "string", "")},
			"answers[]":   {t("ip-or-domain@answer[]:value", "string", "")},
			"host":        {t("domain-name@host:value", "string", ""), t("network-traffic@flow:"+httpExt+"request_header.Host", "string", "")},
			"uri":         {t("network-traffic@flow:"+httpExt+"request_value", "string", "")},
			"method":      {t("network-traffic@flow:"+httpExt+"request_method", "string", "")},
			"user_agent":  {t("network-traffic@flow:"+httpExt+"request_header.User-Agent", "string", "")},
			"md5":         {t("file@file:hashes.MD5", "string", "")},
			"sha1":        {t("file@file:hashes.SHA-1", "string", "")},
			"sha256":      {t("file@file:hashes.SHA-256", "string", "")},
			"filename":    {t("file@file:name", "string", "")},
			"mime_type":   {t("file@file:mime_type", "string", "")},
			"total_bytes": {t("file@file:size", "number", "")},
			"tx_hosts[]":  {t("ip@tx[]:value", "string", "")},
			"rx_hosts[]":  {t("ip@rx[]:value", "string", "")},
			"server_name": {t("domain-name@sni:value", "string", "")},
			"subject":     {t("x509-certificate@cert:subject", "string", "")},
			"issuer":      {t("x509-certificate@cert:issuer", "string", "")},
		},
		Links: slices.Concat(flowLinks, []Link{
			{From: "query", Prop: "resolves_to_refs", To: "answer[]"},
		}),
		URL: &URLRule{Host: "host", Path: "uri", Slot: "url"},
	}
	m.prepare()
	return m
}

// mappingFile is the JSON form of a custom mapping.
type mappingFile struct {
	Name   string              `json:"name"`
	Time   []string            `json:"time"`
	Select string              `json:"select"`
	Accept []string            `json:"accept"`
	Fields map[string][]string `json:"fields"`
	Links  []string            `json:"links"`
}

// ParseMapping reads a custom mapping from JSON:
//
//	{"name": "proxy", "time": ["ts"],
//	 "fields": {"client": ["ip@src:value"], "dest.host": ["domain-name@host:value"],
//	            "request": ["url@url:value"], "hash": ["file@f:hashes.SHA-256"]},
//	 "links": ["network-traffic@flow:src_ref=src"]}
//
// Each target is "TYPE@SLOT:PROPERTY.PATH" (see Target); a link is
// "FROM:PROPERTY=TO" with slot names. The error says what is wrong and
// where.
func ParseMapping(data []byte) (*Mapping, error) {
	var f mappingFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	if len(f.Time) == 0 {
		return nil, fmt.Errorf("mapping: time: name at least one field that holds the event time")
	}
	if len(f.Fields) == 0 {
		return nil, fmt.Errorf("mapping: fields: map at least one field")
	}
	m := &Mapping{Name: f.Name, Time: f.Time, Select: f.Select, Accept: f.Accept, Fields: map[string][]Target{}}
	for field, specs := range f.Fields {
		if len(specs) == 0 {
			return nil, fmt.Errorf("mapping: fields.%s: map the field to at least one TYPE@SLOT:PROPERTY", field)
		}
		for i, s := range specs {
			typ, rest, ok1 := strings.Cut(s, "@")
			slot, path, ok2 := strings.Cut(rest, ":")
			if !ok1 || !ok2 || typ == "" || slot == "" || path == "" {
				return nil, fmt.Errorf("mapping: fields.%s[%d]: %q is not TYPE@SLOT:PROPERTY", field, i, s)
			}
			m.Fields[field] = append(m.Fields[field], Target{Slot: slot, Type: typ, Path: strings.Split(path, ".")})
		}
	}
	for i, s := range f.Links {
		from, rest, ok1 := strings.Cut(s, ":")
		prop, to, ok2 := strings.Cut(rest, "=")
		if !ok1 || !ok2 || from == "" || prop == "" || to == "" {
			return nil, fmt.Errorf("mapping: links[%d]: %q is not FROM:PROPERTY=TO", i, s)
		}
		m.Links = append(m.Links, Link{From: from, Prop: prop, To: to})
	}
	m.prepare()
	return m, nil
}
