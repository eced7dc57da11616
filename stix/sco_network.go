package stix

import (
	"strings"
)

// Network observables (STIX 2.1 sections 6.2, 6.4, 6.5, 6.6, 6.8-6.10,
// 6.12, 6.15): addresses, names, email and network traffic with its
// extensions.

// emailMIMEPart is email-mime-part-type.
var emailMIMEPart = []prop{
	{name: "body", kind: kString},
	{name: "body_raw_ref", kind: kRef, refs: refsArtifactFile},
	{name: "content_type", kind: kString},
	{name: "content_disposition", kind: kString},
}

// Network traffic extensions (section 6.12.2).
var (
	httpRequestExt = []prop{
		{name: "request_method", kind: kString, required: true},
		{name: "request_value", kind: kString, required: true},
		{name: "request_version", kind: kString},
		{name: "request_header", kind: kDict, check: dictValues("a string or a list of strings", isStrOrStrs)},
		{name: "message_body_length", kind: kInteger},
		{name: "message_body_data_ref", kind: kRef, refs: refsArtifact},
	}
	icmpExt = []prop{
		{name: "icmp_type_hex", kind: kHex, required: true},
		{name: "icmp_code_hex", kind: kHex, required: true},
	}
	socketExt = []prop{
		{name: "address_family", kind: kEnum, required: true, vocab: networkSocketAddressFamilyEnum},
		{name: "is_blocking", kind: kBool},
		{name: "is_listening", kind: kBool},
		{name: "options", kind: kDict, check: socketOptions},
		{name: "socket_type", kind: kEnum, vocab: networkSocketTypeEnum},
		{name: "socket_descriptor", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
		{name: "socket_handle", kind: kInteger},
	}
	tcpExt = []prop{
		{name: "src_flags_hex", kind: kHex},
		{name: "dst_flags_hex", kind: kHex},
	}
)

func init() {
	register(&typeDef{
		name:  "autonomous-system",
		class: classSCO,
		props: []prop{
			{name: "number", kind: kInteger, required: true, hasRange: true, min: 0, max: 1<<32 - 1},
			{name: "name", kind: kString},
			{name: "rir", kind: kString},
		},
		idContrib: []string{"number"},
	})
	register(&typeDef{
		name:  "domain-name",
		class: classSCO,
		props: []prop{
			{name: "value", kind: kString, required: true},
			{name: "resolves_to_refs", kind: kRefList, refs: []string{"ipv4-addr", "ipv6-addr", "domain-name"}},
		},
		idContrib: []string{"value"},
		check:     formatCheck("value", domainNameValue),
	})
	register(&typeDef{
		name:  "email-addr",
		class: classSCO,
		props: []prop{
			{name: "value", kind: kString, required: true},
			{name: "display_name", kind: kString},
			{name: "belongs_to_ref", kind: kRef, refs: refsUserAccount},
		},
		idContrib: []string{"value"},
		check:     formatCheck("value", emailAddrValue),
	})
	register(&typeDef{
		name:  "email-message",
		class: classSCO,
		props: []prop{
			{name: "is_multipart", kind: kBool, required: true},
			{name: "date", kind: kTimestamp},
			{name: "content_type", kind: kString},
			{name: "from_ref", kind: kRef, refs: refsEmailAddr},
			{name: "sender_ref", kind: kRef, refs: refsEmailAddr},
			{name: "to_refs", kind: kRefList, refs: refsEmailAddr},
			{name: "cc_refs", kind: kRefList, refs: refsEmailAddr},
			{name: "bcc_refs", kind: kRefList, refs: refsEmailAddr},
			{name: "message_id", kind: kString},
			{name: "subject", kind: kString},
			{name: "received_lines", kind: kStringList},
			{name: "additional_header_fields", kind: kDict, check: additionalHeaderFields},
			{name: "body", kind: kString},
			{name: "body_multipart", kind: kObjectList, sub: emailMIMEPart, check: mimePartBody},
			{name: "raw_email_ref", kind: kRef, refs: refsArtifact},
		},
		idContrib: []string{"from_ref", "subject", "body"},
		check:     emailMessageRules,
	})
	register(&typeDef{
		name:      "ipv4-addr",
		class:     classSCO,
		props:     ipAddrProps(),
		idContrib: []string{"value"},
		check:     formatCheck("value", ipv4Value),
	})
	register(&typeDef{
		name:      "ipv6-addr",
		class:     classSCO,
		props:     ipAddrProps(),
		idContrib: []string{"value"},
		check:     formatCheck("value", ipv6Value),
	})
	register(&typeDef{
		name:  "mac-addr",
		class: classSCO,
		props: []prop{
			{name: "value", kind: kString, required: true},
		},
		idContrib: []string{"value"},
		check:     formatCheck("value", macValue),
	})

	scoExtAnyOf["tcp-ext"] = newAnyOf(propNames(tcpExt)...)
	register(&typeDef{
		name:  "network-traffic",
		class: classSCO,
		props: []prop{
			{name: "start", kind: kTimestamp},
			{name: "end", kind: kTimestamp},
			{name: "is_active", kind: kBool},
			{name: "src_ref", kind: kRef, refs: refsNetEndpoint},
			{name: "dst_ref", kind: kRef, refs: refsNetEndpoint},
			{name: "src_port", kind: kInteger, hasRange: true, min: 0, max: 65535},
			{name: "dst_port", kind: kInteger, hasRange: true, min: 0, max: 65535},
			{name: "protocols", kind: kStringList, required: true, check: protocolNames},
			{name: "src_byte_count", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
			{name: "dst_byte_count", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
			{name: "src_packets", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
			{name: "dst_packets", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
			{name: "ipfix", kind: kDict, check: dictValues("a string or an integer", isStrOrInt)},
			{name: "src_payload_ref", kind: kRef, refs: refsArtifact},
			{name: "dst_payload_ref", kind: kRef, refs: refsArtifact},
			{name: "encapsulates_refs", kind: kRefList, refs: refsNetTraffic},
			{name: "encapsulated_by_ref", kind: kRef, refs: refsNetTraffic},
		},
		idContrib: []string{"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"},
		extensions: map[string][]prop{
			"http-request-ext": httpRequestExt,
			"icmp-ext":         icmpExt,
			"socket-ext":       socketExt,
			"tcp-ext":          tcpExt,
		},
		check: networkTrafficRules,
	})
	register(&typeDef{
		name:  "url",
		class: classSCO,
		props: []prop{
			{name: "value", kind: kString, required: true},
		},
		idContrib: []string{"value"},
		check:     formatCheck("value", urlValue),
	})
}

// ipAddrProps returns the properties of ipv4-addr or ipv6-addr.
func ipAddrProps() []prop {
	return []prop{
		{name: "value", kind: kString, required: true},
		{name: "resolves_to_refs", kind: kRefList, refs: []string{"mac-addr"}},
		{name: "belongs_to_refs", kind: kRefList, refs: []string{"autonomous-system"}},
	}
}

// emailMessageRules: body only when is_multipart is false, body_multipart
// only when it is true.
func emailMessageRules(c *checker, o *Value, path string) {
	mp := o.Get("is_multipart")
	if mp == nil || mp.Kind != Bool {
		return // reported by checkProps
	}
	if mp.Bool && o.Get("body") != nil {
		c.errorf(joinPath(path, "body"), "email-multipart", `property "body" must not be present when "is_multipart" is true; put the parts in "body_multipart"`)
	}
	if !mp.Bool && o.Get("body_multipart") != nil {
		c.errorf(joinPath(path, "body_multipart"), "email-multipart", `property "body_multipart" must not be present when "is_multipart" is false; use "body"`)
	}
}

// emailHeaderProps maps the header fields email-message has properties for,
// in lower case, to those properties.
var emailHeaderProps = map[string]string{
	"date": "date", "content-type": "content_type", "from": "from_ref", "sender": "sender_ref",
	"to": "to_refs", "cc": "cc_refs", "bcc": "bcc_refs", "message-id": "message_id",
	"subject": "subject", "received": "received_lines",
}

var headerValues = dictValues("a string or a list of strings", isStrOrStrs)

// additionalHeaderFields checks the values of additional_header_fields and
// warns about header fields that have their own property, which the
// specification excludes from the dictionary.
func additionalHeaderFields(c *checker, v *Value, path string) {
	headerValues(c, v, path)
	for i := range v.Members {
		name := v.Members[i].Name
		if p, ok := emailHeaderProps[strings.ToLower(name)]; ok {
			c.warnf(joinPath(path, name), "email-header-field", "header field %s should be given in property %q, not in \"additional_header_fields\"", quote(name), p)
		}
	}
}

// mimePartBody checks that each MIME part has exactly one of body and
// body_raw_ref.
func mimePartBody(c *checker, v *Value, path string) {
	for i := range v.Elems {
		e := &v.Elems[i]
		if e.Kind != Object {
			continue
		}
		body, raw := e.Get("body") != nil, e.Get("body_raw_ref") != nil
		switch {
		case body && raw:
			c.errorf(joinPath(indexPath(path, i), "body_raw_ref"), "mime-part-body", `a MIME part must not have both "body" and "body_raw_ref"`)
		case !body && !raw:
			c.errorf(indexPath(path, i), "mime-part-body", `a MIME part needs one of "body" or "body_raw_ref"`)
		}
	}
}

var netTrafficEndpoints = newAnyOf("src_ref", "dst_ref")

// networkTrafficRules: a source or destination, no end while active, end
// not before start, and the extension rules.
func networkTrafficRules(c *checker, o *Value, path string) {
	c.requireAnyOf(o, path, "a network-traffic object", netTrafficEndpoints)
	end := o.Get("end")
	if a := o.Get("is_active"); a != nil && a.Kind == Bool && a.Bool && end != nil {
		c.errorf(joinPath(path, "end"), "network-traffic-active", `property "end" must not be present when "is_active" is true`)
	}
	if start, stop := c.timeOf(o, "start"), c.timeOf(o, "end"); !start.IsZero() && !stop.IsZero() && stop.Before(start) {
		c.errorf(joinPath(path, "end"), "network-traffic-end", "end (%s) must not be earlier than start (%s)", o.GetString("end"), o.GetString("start"))
	}
	if o.Get("src_port") == nil && o.Get("dst_port") == nil && !hasExtension(o, "icmp-ext") {
		c.warnf(path, "network-traffic-ports", `network traffic should have "src_port" and "dst_port" (unless it is ICMP traffic)`)
	}
	c.checkSCOExtensions(o, path)
}

// hasExtension reports whether the object has the extension name.
func hasExtension(o *Value, name string) bool {
	ext := o.Get("extensions")
	return ext != nil && ext.Kind == Object && ext.Get(name) != nil
}

// protocolNames warns about protocol names that are not lower case, as
// the specification recommends lower-case IANA service names.
func protocolNames(c *checker, v *Value, path string) {
	for i := range v.Elems {
		if s := v.Elems[i].Str; strings.ToLower(s) != s {
			c.warnf(indexPath(path, i), "protocol-case", "protocol names should be lower case, such as \"tcp\", not %s", quote(s))
		}
	}
}

// socketOptionPrefixes are the option families socket-ext options keys
// belong to.
var socketOptionPrefixes = []string{"SO_", "ICMP_", "ICMP6_", "IP_", "IPV6_", "MCAST_", "TCP_", "IRLMP_"}

// socketOptions checks socket-ext options: keys are option names such as
// SO_ACCEPTCONN, values integers.
func socketOptions(c *checker, v *Value, path string) {
	for i := range v.Members {
		m := &v.Members[i]
		mp := joinPath(path, m.Name)
		known := false
		for _, p := range socketOptionPrefixes {
			if strings.HasPrefix(m.Name, p) && len(m.Name) > len(p) {
				known = true
				break
			}
		}
		if !known {
			c.errorf(mp, "socket-option", "socket option %s must be an option name starting with SO_, ICMP_, ICMP6_, IP_, IPV6_, MCAST_, TCP_ or IRLMP_", quote(m.Name))
		}
		if !isInt(&m.Value) {
			c.errorf(mp, "dict-value", "the value of socket option %s must be an integer, not %s", quote(m.Name), aKind(m.Value.Kind))
		}
	}
}
