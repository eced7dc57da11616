package stix

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// withSCOID returns the SCO obj (JSON without an "id") with its
// recommended id added: the deterministic one, or a fixed UUIDv4 when it
// has no ID-contributing properties.
func withSCOID(t *testing.T, obj string) []byte {
	t.Helper()
	id, err := SCOID([]byte(obj))
	if errors.Is(err, ErrNoIDContributingProperties) {
		var typ struct{ Type string }
		if err := json.Unmarshal([]byte(obj), &typ); err != nil {
			t.Fatal(err)
		}
		id, err = typ.Type+"--f52a906a-0dfc-40bd-92f1-e7778ead38a9", nil
	}
	if err != nil {
		t.Fatalf("SCOID(%s): %v", obj, err)
	}
	return []byte(`{"id":"` + id + `",` + strings.TrimPrefix(strings.TrimSpace(obj), "{"))
}

// TestSCOValid: well-formed objects of every SCO type, with every
// predefined extension, validate without errors or warnings.
func TestSCOValid(t *testing.T) {
	const ip4 = "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"
	const email = "email-addr--df07f968-060c-5ae3-aa2b-37cb30f43de5"
	const md5 = "1717b7fff97d37a1e1a0029d83492de1"
	tests := []struct{ name, obj string }{
		{"artifact with payload", `{"type":"artifact","spec_version":"2.1","mime_type":"image/jpeg","payload_bin":"VBORw0KGgoAAAANSUhEUgAAADI==","encryption_algorithm":"mime-type-indicated","decryption_key":"My voice is my passport"}`},
		{"artifact with url", `{"type":"artifact","url":"https://upload.wikimedia.org/wikipedia/commons/b/b4/JPEG_example_JPG_RIP_100.jpg","hashes":{"SHA-256":"6850bf13b4c3bf0a2d3d1a4bd79e0e1d7c08f0f2d42c3e9d3a7ab2ad17e7a3bd"}}`},
		{"autonomous-system", `{"type":"autonomous-system","number":15139,"name":"Slime Industries","rir":"ARIN"}`},
		{"directory", `{"type":"directory","path":"C:\\Windows\\System32","path_enc":"UTF-8","ctime":"2016-06-01T12:00:00Z","contains_refs":["file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d","directory--3ff3d5f6-2e84-5c5c-8a3b-ab2b37cd2ab1"]}`},
		{"domain-name", `{"type":"domain-name","value":"example.com","resolves_to_refs":["` + ip4 + `","domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"]}`},
		{"domain-name with service label and final dot", `{"type":"domain-name","value":"_dmarc.mail.example.com."}`},
		{"internationalized domain-name", `{"type":"domain-name","value":"bücher.example"}`},
		{"email-addr", `{"type":"email-addr","value":"john@example.com","display_name":"John Doe","belongs_to_ref":"user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c"}`},
		{"email-addr with quoted local part", `{"type":"email-addr","value":"\"john doe\"@example.com"}`},
		{"email-message single part", `{"type":"email-message","is_multipart":false,"date":"1997-11-21T15:55:06Z","content_type":"text/plain","from_ref":"` + email + `","to_refs":["` + email + `"],"subject":"Saying Hello","message_id":"<1234@local.machine.example>","received_lines":["from mail.example.com"],"additional_header_fields":{"Reply-To":["steve@example.com","jane@example.com"],"X-Mailer":"Acme"},"body":"Hello"}`},
		{"email-message multipart", `{"type":"email-message","is_multipart":true,"content_type":"multipart/mixed","body_multipart":[{"content_type":"text/plain; charset=utf-8","content_disposition":"inline","body":"Cats are funny!"},{"content_type":"image/png","content_disposition":"attachment; filename=\"tabby.png\"","body_raw_ref":"artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5"},{"body_raw_ref":"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d"}],"raw_email_ref":"artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5"}`},
		{"file", `{"type":"file","hashes":{"MD5":"` + md5 + `"},"size":25536,"name":"foo.dll","name_enc":"windows-1252","magic_number_hex":"4D5A","mime_type":"application/x-msdownload","ctime":"2016-06-01T12:00:00Z","parent_directory_ref":"directory--3ff3d5f6-2e84-5c5c-8a3b-ab2b37cd2ab1","contains_refs":["` + ip4 + `"],"content_ref":"artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5"}`},
		{"file archive-ext", `{"type":"file","name":"foo.zip","extensions":{"archive-ext":{"contains_refs":["file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d","directory--3ff3d5f6-2e84-5c5c-8a3b-ab2b37cd2ab1"],"comment":"Zip file"}}}`},
		{"file ntfs-ext", `{"type":"file","name":"a.txt","extensions":{"ntfs-ext":{"sid":"1234567","alternate_data_streams":[{"name":"second.stream","size":25536,"hashes":{"MD5":"` + md5 + `"}}]}}}`},
		{"file pdf-ext", `{"type":"file","name":"a.pdf","extensions":{"pdf-ext":{"version":"1.7","is_optimized":false,"document_info_dict":{"Title":"Sample document","Author":"Adobe Systems Incorporated"},"pdfid0":"DFCE52BD827ECF765649852119D","pdfid1":"57A1E0F9ED2AE523E313C"}}}`},
		{"file raster-image-ext", `{"type":"file","name":"a.jpg","extensions":{"raster-image-ext":{"image_height":768,"image_width":1024,"bits_per_pixel":72,"exif_tags":{"Make":"Nikon","Model":"D7000","XResolution":4928}}}}`},
		{"file windows-pebinary-ext", `{"type":"file","name":"a.exe","extensions":{"windows-pebinary-ext":{"pe_type":"exe","imphash":"d41d8cd98f00b204e9800998ecf8427e","machine_hex":"014c","number_of_sections":4,"time_date_stamp":"2016-01-22T12:31:12Z","pointer_to_symbol_table_hex":"74726144","number_of_symbols":4542568,"size_of_optional_header":224,"characteristics_hex":"818f","file_header_hashes":{"MD5":"` + md5 + `"},"optional_header":{"magic_hex":"010b","major_linker_version":2,"size_of_code":4096,"address_of_entry_point":4096,"image_base":14548992,"checksum_hex":"00","subsystem_hex":"03","size_of_heap_commit":4096,"hashes":{"MD5":"` + md5 + `"}},"sections":[{"name":".text","size":4096,"entropy":7.980693,"hashes":{"MD5":"` + md5 + `"}}]}}}`},
		{"ipv4-addr", `{"type":"ipv4-addr","value":"198.51.100.3","resolves_to_refs":["mac-addr--65cfcf98-8a6e-5a1b-8f61-379ac4f92d00"],"belongs_to_refs":["autonomous-system--f720c34b-98ae-597f-ade5-27dc241e8c74"]}`},
		{"ipv4-addr CIDR", `{"type":"ipv4-addr","value":"10.2.4.5/24"}`},
		{"ipv6-addr", `{"type":"ipv6-addr","value":"2001:0db8:85a3:0000:0000:8a2e:0370:7334"}`},
		{"ipv6-addr CIDR", `{"type":"ipv6-addr","value":"2001:0db8::/96"}`},
		{"ipv6-addr IPv4-mapped", `{"type":"ipv6-addr","value":"::ffff:198.51.100.3"}`},
		{"mac-addr", `{"type":"mac-addr","value":"d2:fb:49:24:37:18"}`},
		{"mutex", `{"type":"mutex","name":"__CLEANSWEEP__"}`},
		{"network-traffic", `{"type":"network-traffic","src_ref":"` + ip4 + `","dst_ref":"domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7","start":"2016-06-01T12:00:00Z","end":"2016-06-01T12:00:00Z","is_active":false,"src_port":0,"dst_port":65535,"protocols":["ipv4","tcp","http"],"src_byte_count":147600,"src_packets":100,"ipfix":{"minimumIpTotalLength":32,"maximumIpTotalLength":2556,"flowDirection":"ingress"},"src_payload_ref":"artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5","encapsulates_refs":["network-traffic--f8ae967a-3dc3-5cdf-8f94-8505abff00c2"],"encapsulated_by_ref":"network-traffic--f8ae967a-3dc3-5cdf-8f94-8505abff00c2"}`},
		{"network-traffic active", `{"type":"network-traffic","dst_ref":"` + ip4 + `","is_active":true,"start":"2016-06-01T12:00:00Z","dst_port":443,"protocols":["tcp"]}`},
		{"network-traffic http-request-ext", `{"type":"network-traffic","dst_ref":"` + ip4 + `","dst_port":443,"protocols":["tcp","http"],"extensions":{"http-request-ext":{"request_method":"get","request_value":"/download.html","request_version":"http/1.1","request_header":{"Accept-Encoding":"gzip,deflate","Host":["www.example.com"]},"message_body_length":0,"message_body_data_ref":"artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5"}}}`},
		{"network-traffic icmp-ext", `{"type":"network-traffic","src_ref":"` + ip4 + `","protocols":["icmp"],"extensions":{"icmp-ext":{"icmp_type_hex":"08","icmp_code_hex":"00"}}}`},
		{"network-traffic socket-ext", `{"type":"network-traffic","src_ref":"` + ip4 + `","src_port":223,"protocols":["ip","tcp"],"extensions":{"socket-ext":{"is_listening":true,"address_family":"AF_INET","socket_type":"SOCK_STREAM","socket_descriptor":3,"socket_handle":-1,"options":{"SO_ACCEPTCONN":1,"TCP_NODELAY":0}}}}`},
		{"network-traffic tcp-ext", `{"type":"network-traffic","src_ref":"` + ip4 + `","dst_port":443,"protocols":["tcp"],"extensions":{"tcp-ext":{"src_flags_hex":"00000002"}}}`},
		{"process", `{"type":"process","pid":1221,"is_hidden":false,"created_time":"2016-01-20T14:11:25.55Z","cwd":"/tmp/","command_line":"./gedit-bin --new-window","environment_variables":{"ProgramFiles":"C:\\Program Files"},"opened_connection_refs":["network-traffic--f8ae967a-3dc3-5cdf-8f94-8505abff00c2"],"creator_user_ref":"user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c","image_ref":"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d","parent_ref":"process--f52a906a-0dfc-40bd-92f1-e7778ead38a9","child_refs":["process--f52a906a-0dfc-40bd-92f1-e7778ead38a9"]}`},
		{"process with only an extension", `{"type":"process","extensions":{"windows-process-ext":{"aslr_enabled":true,"dep_enabled":true,"priority":"HIGH_PRIORITY_CLASS","owner_sid":"S-1-5-21-186985262-1144665072-74031268-1309","window_title":"calc","integrity_level":"high","startup_info":{"lpDesktop":"winsta0\\default","dwFlags":256}}}}`},
		{"process windows-service-ext", `{"type":"process","pid":2217,"extensions":{"windows-service-ext":{"service_name":"sirvizio","display_name":"Sirvizio","descriptions":["Sirvizio service"],"group_name":"LocalService","start_type":"SERVICE_AUTO_START","service_dll_refs":["file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d"],"service_type":"SERVICE_WIN32_OWN_PROCESS","service_status":"SERVICE_RUNNING"}}}`},
		{"software", `{"type":"software","name":"Word","cpe":"cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*","swid":"com.acme.rms-ce-v4-1-5-0","languages":["eng","fre"],"vendor":"Microsoft","version":"2002"}`},
		{"software with escaped colon in cpe", `{"type":"software","name":"x","cpe":"cpe:2.3:a:acme:foo\\:bar:1.0:*:*:*:*:*:*:*"}`},
		{"url", `{"type":"url","value":"https://example.com/research/index.html"}`},
		{"url mailto", `{"type":"url","value":"mailto:jdoe@example.com"}`},
		{"user-account", `{"type":"user-account","user_id":"1001","credential":"password","account_login":"jdoe","account_type":"unix","display_name":"John Doe","is_service_account":false,"is_privileged":false,"can_escalate_privs":true,"is_disabled":false,"account_created":"2016-01-20T12:31:12Z","account_expires":"2018-01-20T12:31:12Z","credential_last_changed":"2016-01-20T14:27:43Z","account_first_login":"2016-01-20T14:26:07Z","account_last_login":"2016-07-22T16:08:28Z","extensions":{"unix-account-ext":{"gid":1001,"groups":["wheel"],"home_dir":"/home/jdoe","shell":"/bin/bash"}}}`},
		{"windows-registry-key", `{"type":"windows-registry-key","key":"HKEY_LOCAL_MACHINE\\System\\Foo\\Bar","values":[{"name":"Foo","data":"qwerty","data_type":"REG_SZ"},{"name":"","data":"42","data_type":"REG_DWORD"}],"modified_time":"2016-01-20T14:11:25.55Z","creator_user_ref":"user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c","number_of_subkeys":2}`},
		{"windows-registry-key hive alone", `{"type":"windows-registry-key","key":"hkey_users"}`},
		{"x509-certificate", `{"type":"x509-certificate","is_self_signed":false,"hashes":{"SHA-256":"6850bf13b4c3bf0a2d3d1a4bd79e0e1d7c08f0f2d42c3e9d3a7ab2ad17e7a3bd"},"version":"3","serial_number":"36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49:32:0a:b7:06","signature_algorithm":"md5WithRSAEncryption","issuer":"C=ZA, ST=Western Cape, L=Cape Town, O=Thawte Consulting cc","validity_not_before":"2016-03-12T12:00:00Z","validity_not_after":"2016-08-21T12:00:00Z","subject":"C=US, ST=Maryland, L=Pasadena, O=Brent Baccala","subject_public_key_algorithm":"rsaEncryption","subject_public_key_modulus":"00:c8:a6:2b","subject_public_key_exponent":65537,"x509_v3_extensions":{"basic_constraints":"critical,CA:TRUE, pathlen:0","private_key_usage_period_not_before":"2016-03-12T12:00:00Z"}}`},
		{"defanged url", `{"type":"url","value":"hxxp://example[.]com/a","defanged":true}`},
		{"defanged domain-name", `{"type":"domain-name","value":"example[.]com","defanged":true}`},
		{"defanged ipv4-addr", `{"type":"ipv4-addr","value":"198.51.100[.]3","defanged":true}`},
		{"defanged email-addr", `{"type":"email-addr","value":"jdoe[@]example[.]com","defanged":true}`},
		{"defanged artifact url", `{"type":"artifact","url":"hxxps://example[.]com/a.bin","hashes":{"MD5":"` + md5 + `"},"defanged":true}`},
		{"custom property and extension definition", `{"type":"mutex","name":"m","x_acme_seen":3,"extensions":{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"extension_type":"property-extension","rank":5}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := withSCOID(t, tt.obj)
			obj, issues := ValidateObject(raw, "")
			if obj == nil || len(issues) > 0 {
				t.Fatalf("ValidateObject(%s):\n%v", raw, issues)
			}
			if obj.SpecVersion != "2.1" || obj.Type == "" || !strings.HasPrefix(obj.ID, obj.Type+"--") {
				t.Errorf("envelope %+v", obj)
			}
		})
	}
}

// TestSCOInvalid: one violation each, with the rule, path and a part of
// the message expected. Errors and warnings are both listed; every other
// issue fails the test.
func TestSCOInvalid(t *testing.T) {
	const ip4 = "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"
	tests := []struct {
		obj, rule, path, contains string
		warning                   bool
	}{
		{obj: `{"type":"ipv4-addr","value":"198.51.100.03"}`, rule: "ip-address", path: "value", contains: "IPv4"},
		{obj: `{"type":"ipv4-addr","value":"198.51.100.0/33"}`, rule: "ip-address", path: "value", contains: "CIDR"},
		{obj: `{"type":"ipv4-addr","value":"::ffff:198.51.100.3"}`, rule: "ip-address", path: "value", contains: "IPv4"},
		{obj: `{"type":"ipv6-addr","value":"198.51.100.3"}`, rule: "ip-address", path: "value", contains: "IPv6"},
		{obj: `{"type":"ipv6-addr","value":"2001:db8::/129"}`, rule: "ip-address", path: "value", contains: "IPv6"},
		{obj: `{"type":"mac-addr","value":"d2-fb-49-24-37-18"}`, rule: "mac-address", path: "value", contains: "colon"},
		{obj: `{"type":"mac-addr","value":"d2:fb:49:24:37:8"}`, rule: "mac-address", path: "value", contains: "two digits"},
		{obj: `{"type":"domain-name","value":"exa mple.com"}`, rule: "domain-name", path: "value", contains: `" "`},
		{obj: `{"type":"domain-name","value":"https://example.com"}`, rule: "domain-name", path: "value", contains: `":"`},
		{obj: `{"type":"domain-name","value":"` + strings.Repeat("a", 64) + `.com"}`, rule: "domain-name", path: "value", contains: "63"},
		{obj: `{"type":"domain-name","value":"."}`, rule: "domain-name", path: "value", contains: "empty"},
		{obj: `{"type":"email-addr","value":"jdoe.example.com"}`, rule: "email-address", path: "value", contains: "no @"},
		{obj: `{"type":"email-addr","value":"jdoe@example.com, jane@example.com"}`, rule: "email-address", path: "value", contains: "before the @"},
		{obj: `{"type":"email-addr","value":"@example.com"}`, rule: "email-address", path: "value", contains: "nothing before"},
		{obj: `{"type":"url","value":"http://exa mple.com/"}`, rule: "url", path: "value", contains: "URL"},
		{obj: `{"type":"url","value":"http:"}`, rule: "url", path: "value", contains: "URL"},
		{obj: `{"type":"url","value":"hxxp://example[.]com","defanged":false}`, rule: "url", path: "value", contains: "URL"},
		{obj: `{"type":"artifact","url":"/relative/a.bin","hashes":{"MD5":"1717b7fff97d37a1e1a0029d83492de1"}}`, rule: "url", path: "url", contains: "url"},
		{obj: `{"type":"artifact","payload_bin":"aGk=","mime_type":"jpeg"}`, rule: "mime-type", path: "mime_type", contains: "IANA", warning: true},
		{obj: `{"type":"file","name":"a","mime_type":"nonsense/x"}`, rule: "mime-type", path: "mime_type", contains: "IANA", warning: true},
		{obj: `{"type":"file","name":"a","name_enc":"UTF 8"}`, rule: "charset", path: "name_enc", contains: "name_enc"},
		{obj: `{"type":"file","name":"a","contains_refs":["indicator--f52a906a-0dfc-40bd-92f1-e7778ead38a9"]}`, rule: "ref-type", path: "contains_refs[0]", contains: "contains_refs"},
		{obj: `{"type":"file","name":"a","extensions":{"pdf-ext":{"document_info_dict":{"Pages":3}}}}`, rule: "dict-value", path: "extensions.pdf-ext.document_info_dict.Pages", contains: "string"},
		{obj: `{"type":"file","name":"a","extensions":{"windows-pebinary-ext":{"pe_type":"elf","imphash":"x"}}}`, rule: "vocab", path: "extensions.windows-pebinary-ext.pe_type", contains: "pe_type", warning: true},
		{obj: `{"type":"file","name":"a","extensions":{"windows-pebinary-ext":{"pe_type":"exe","sections":[{"size":1}]}}}`, rule: "required", path: "extensions.windows-pebinary-ext.sections[0].name", contains: "name"},
		{obj: `{"type":"file","name":"a","extensions":{"ntfs-ext":{"alternate_data_streams":[{"name":"s","size":-4}]}}}`, rule: "range", path: "extensions.ntfs-ext.alternate_data_streams[0].size", contains: "size"},
		{obj: `{"type":"file","name":"a","extensions":{"acme-ext":{"a":1}}}`, rule: "extension-name", path: "extensions.acme-ext", contains: "acme-ext"},
		{obj: `{"type":"file","name":"a","extensions":{"ntfs-ext":{}}}`, rule: "extension", path: "extensions.ntfs-ext", contains: "empty"},
		{obj: `{"type":"email-message","is_multipart":false,"to_refs":["` + ip4 + `"]}`, rule: "ref-type", path: "to_refs[0]", contains: "email-addr"},
		{obj: `{"type":"email-message","is_multipart":true,"body_multipart":[{"body":"a","body_raw_ref":"artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5"}]}`, rule: "mime-part-body", path: "body_multipart[0].body_raw_ref", contains: "both"},
		{obj: `{"type":"email-message","is_multipart":true,"body_multipart":[{"body_raw_ref":"` + ip4 + `"}]}`, rule: "ref-type", path: "body_multipart[0].body_raw_ref", contains: "artifact or file"},
		{obj: `{"type":"email-message","is_multipart":false,"additional_header_fields":{"Subject":"x"}}`, rule: "email-header-field", path: "additional_header_fields.Subject", contains: `"subject"`, warning: true},
		{obj: `{"type":"network-traffic","src_ref":"` + ip4 + `","protocols":["tcp"]}`, rule: "network-traffic-ports", path: "", contains: "src_port", warning: true},
		{obj: `{"type":"email-message","is_multipart":"no"}`, rule: "type", path: "is_multipart", contains: "boolean"},
		{obj: `{"type":"network-traffic","src_ref":"` + ip4 + `","dst_port":443,"protocols":["TCP"]}`, rule: "protocol-case", path: "protocols[0]", contains: "lower case", warning: true},
		{obj: `{"type":"network-traffic","src_ref":"` + ip4 + `","protocols":["tcp"],"src_port":-1}`, rule: "range", path: "src_port", contains: "src_port"},
		{obj: `{"type":"network-traffic","src_ref":"` + ip4 + `","dst_port":443,"protocols":["tcp"],"ipfix":{"a":true}}`, rule: "dict-value", path: "ipfix.a", contains: "string or an integer"},
		{obj: `{"type":"network-traffic","src_ref":"` + ip4 + `","dst_port":443,"protocols":["tcp"],"extensions":{"socket-ext":{"address_family":"AF_INET","options":{"SO_RCVBUF":"big"}}}}`, rule: "dict-value", path: "extensions.socket-ext.options.SO_RCVBUF", contains: "integer"},
		{obj: `{"type":"network-traffic","src_ref":"` + ip4 + `","dst_port":443,"protocols":["tcp"],"extensions":{"socket-ext":{"address_family":"AF_INET","socket_type":"SOCK_PACKET"}}}`, rule: "enum", path: "extensions.socket-ext.socket_type", contains: "socket_type"},
		{obj: `{"type":"network-traffic","src_ref":"` + ip4 + `","dst_port":443,"protocols":["tcp"],"extensions":{"http-request-ext":{"request_method":"get","request_value":"/","request_header":{"Host":[1]}}}}`, rule: "dict-value", path: "extensions.http-request-ext.request_header.Host", contains: "list of strings"},
		{obj: `{"type":"network-traffic","src_ref":"` + ip4 + `","protocols":["tcp"],"extensions":{"icmp-ext":{"icmp_type_hex":"zz","icmp_code_hex":"00"}}}`, rule: "hex", path: "extensions.icmp-ext.icmp_type_hex", contains: "hexadecimal"},
		{obj: `{"type":"network-traffic","src_ref":"` + ip4 + `","dst_port":443,"protocols":[]}`, rule: "empty-list", path: "protocols", contains: "protocols"},
		{obj: `{"type":"process","pid":1,"extensions":{"windows-process-ext":{"priority":"HIGH"}}}`, rule: "process-priority", path: "extensions.windows-process-ext.priority", contains: "_CLASS", warning: true},
		{obj: `{"type":"process","pid":1,"extensions":{"windows-process-ext":{"startup_info":{"dwFlags":true}}}}`, rule: "dict-value", path: "extensions.windows-process-ext.startup_info.dwFlags", contains: "integer"},
		{obj: `{"type":"process","pid":1,"extensions":{"windows-service-ext":{"start_type":"AUTO"}}}`, rule: "enum", path: "extensions.windows-service-ext.start_type", contains: "start_type"},
		{obj: `{"type":"process","pid":1,"extensions":{"windows-service-ext":{"service_dll_refs":["` + ip4 + `"]}}}`, rule: "ref-type", path: "extensions.windows-service-ext.service_dll_refs[0]", contains: "file"},
		{obj: `{"type":"process","pid":1,"environment_variables":{"PATH":["/bin"]}}`, rule: "dict-value", path: "environment_variables.PATH", contains: "string"},
		{obj: `{"type":"process","pid":1.5}`, rule: "integer", path: "pid", contains: "pid"},
		{obj: `{"type":"software","name":"Word","languages":["en"]}`, rule: "software-language", path: "languages[0]", contains: "ISO 639-2", warning: true},
		{obj: `{"type":"software","name":"Word","languages":["english language"]}`, rule: "software-language", path: "languages[0]", contains: "ISO 639-2"},
		{obj: `{"type":"software","name":"Word","cpe":"cpe:2.3:a:microsoft:word"}`, rule: "cpe", path: "cpe", contains: "13"},
		{obj: `{"type":"user-account","user_id":"1","account_type":"windows local"}`, rule: "vocab", path: "account_type", contains: "account_type", warning: true},
		{obj: `{"type":"user-account","user_id":"1","account_created":"2016-01-20"}`, rule: "timestamp-format", path: "account_created", contains: "account_created"},
		{obj: `{"type":"windows-registry-key","key":"SOFTWARE\\Microsoft"}`, rule: "registry-key-hive", path: "key", contains: "must start with its hive"},
		{obj: `{"type":"windows-registry-key","key":"hkcu"}`, rule: "registry-key-hive", path: "key", contains: "HKEY_CURRENT_USER"},
		{obj: `{"type":"windows-registry-key","values":[]}`, rule: "empty-list", path: "values", contains: "values"},
		{obj: `{"type":"windows-registry-key","key":"HKEY_USERS","number_of_subkeys":-1}`, rule: "range", path: "number_of_subkeys", contains: "number_of_subkeys"},
		{obj: `{"type":"x509-certificate","serial_number":"1","x509_v3_extensions":{"key_usage":"x","private_key_usage_period_not_after":"never"}}`, rule: "timestamp-format", path: "x509_v3_extensions.private_key_usage_period_not_after", contains: "private_key_usage_period_not_after"},
		{obj: `{"type":"x509-certificate","serial_number":"1","hashes":{"SHA-256":"abc"}}`, rule: "hash-value", path: "hashes.SHA-256", contains: "64"},
		{obj: `{"type":"autonomous-system","number":4294967296}`, rule: "range", path: "number", contains: "number"},
		{obj: `{"type":"directory","path":"/tmp","contains_refs":["` + ip4 + `"]}`, rule: "ref-type", path: "contains_refs[0]", contains: "file or directory"},
		{obj: `{"type":"mutex","name":"m","defanged":"yes"}`, rule: "type", path: "defanged", contains: "defanged"},
		{obj: `{"type":"mutex","name":"m","spec_version":"2.0"}`, rule: "spec-version", path: "spec_version", contains: "2.1"},
		{obj: `{"type":"mutex","name":"m","created":"2016-01-20T14:11:25.550Z"}`, rule: "custom-property-prefix", path: "created", contains: "created", warning: true},
	}
	for _, tt := range tests {
		t.Run(tt.rule+" "+tt.path, func(t *testing.T) {
			raw := withSCOID(t, tt.obj)
			obj, issues := ValidateObject(raw, "")
			if len(issues) != 1 {
				t.Fatalf("ValidateObject(%s): want 1 issue, got %d:\n%v", raw, len(issues), issues)
			}
			is := issues[0]
			if is.Rule != tt.rule || is.Path != tt.path || !strings.Contains(is.Message, tt.contains) || is.Warning != tt.warning {
				t.Errorf("ValidateObject(%s):\n got %v (warning %v)\nwant rule %s, path %q, message containing %q, warning %v", raw, is, is.Warning, tt.rule, tt.path, tt.contains, tt.warning)
			}
			if (obj == nil) != !tt.warning {
				t.Errorf("object returned = %v, want it only when there are no errors", obj != nil)
			}
		})
	}
}

// TestSCOOasisExamples: every SCO of the OASIS example bundles validates
// without errors.
func TestSCOOasisExamples(t *testing.T) {
	files, err := filepath.Glob("../../shared/data/oasis-examples/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("OASIS examples not found in ../../shared/data/oasis-examples")
	}
	n := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ReadBundle(fh, func(r *Result) error {
			var head struct{ Type string }
			if err := json.Unmarshal(r.Raw, &head); err != nil {
				return err
			}
			if d := registry[head.Type]; d == nil || d.class != classSCO {
				return nil
			}
			n++
			if r.Object == nil {
				t.Errorf("%s %s (%s): %v", filepath.Base(f), r.Path, head.Type, r.Issues.Errors())
			}
			return nil
		})
		fh.Close()
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if n < 5 {
		t.Errorf("found %d SCOs in the OASIS examples, want at least 5", n)
	}
}

// TestSCORegistry: the 18 SCO types are registered with the
// ID-contributing properties of the specification, each of which is a
// property of the type.
func TestSCORegistry(t *testing.T) {
	want := map[string][]string{
		"artifact":             {"hashes", "payload_bin"},
		"autonomous-system":    {"number"},
		"directory":            {"path"},
		"domain-name":          {"value"},
		"email-addr":           {"value"},
		"email-message":        {"from_ref", "subject", "body"},
		"file":                 {"hashes", "name", "extensions", "parent_directory_ref"},
		"ipv4-addr":            {"value"},
		"ipv6-addr":            {"value"},
		"mac-addr":             {"value"},
		"mutex":                {"name"},
		"network-traffic":      {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"},
		"process":              nil,
		"software":             {"name", "cpe", "swid", "vendor", "version"},
		"url":                  {"value"},
		"user-account":         {"account_type", "user_id", "account_login"},
		"windows-registry-key": {"key", "values"},
		"x509-certificate":     {"hashes", "serial_number"},
	}
	n := 0
	for name, d := range registry {
		if d.class != classSCO {
			continue
		}
		n++
		contrib, ok := want[name]
		if !ok {
			t.Errorf("unexpected SCO type %s", name)
			continue
		}
		if !slices.Equal(d.idContrib, contrib) {
			t.Errorf("%s: ID-contributing properties %v, want %v", name, d.idContrib, contrib)
		}
		for _, p := range d.idContrib {
			if p != "extensions" && !slices.ContainsFunc(d.props, func(q prop) bool { return q.name == p }) {
				t.Errorf("%s: ID-contributing property %s is not a property", name, p)
			}
		}
	}
	if n != len(want) {
		t.Errorf("%d SCO types registered, want %d", n, len(want))
	}
}

func TestSCOValueFormats(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "255.255.255.255", "10.0.0.0/8", "198.51.100.3/32"} {
		if !validIP(s, true) {
			t.Errorf("validIP(%q, v4) = false", s)
		}
	}
	for _, s := range []string{"256.0.0.1", "1.2.3", "01.2.3.4", "1.2.3.4/", "1.2.3.4/-1", "::1", "", " 1.2.3.4"} {
		if validIP(s, true) {
			t.Errorf("validIP(%q, v4) = true", s)
		}
	}
	for _, s := range []string{"::", "::1", "fe80::1%eth0", "2001:db8::/32", "2001:DB8:0:0:0:0:0:1"} {
		if !validIP(s, false) {
			t.Errorf("validIP(%q, v6) = false", s)
		}
	}
	for _, s := range []string{"1.2.3.4", ":::", "2001:db8::1::2", "fe80::1%eth0/64", "2001:db8::/"} {
		if validIP(s, false) {
			t.Errorf("validIP(%q, v6) = true", s)
		}
	}
	for _, s := range []string{"example.com", "a", "xn--bcher-kva.example", "bücher.example", "a-b_c.d", "example.com."} {
		if why := domainNameProblem(s); why != "" {
			t.Errorf("domainNameProblem(%q) = %q", s, why)
		}
	}
	for _, s := range []string{"", "..", "a..b", ".a", "a b", "a/b", "*.example.com", "a@b", strings.Repeat("a.", 127) + "ab", "a\u00a0b"} {
		if domainNameProblem(s) == "" {
			t.Errorf("domainNameProblem(%q) = ok", s)
		}
	}
	for _, s := range []string{"a@b", "john.doe+tag@example.com", `"a b"@example.com`, "user@[192.0.2.1]", "üser@bücher.example"} {
		if why := emailAddrProblem(s); why != "" {
			t.Errorf("emailAddrProblem(%q) = %q", s, why)
		}
	}
	for _, s := range []string{"", "a", "a@", "@a", "a b@c", "a@b c", "<a@b>", "a@b,c@d", "a@b;c"} {
		if emailAddrProblem(s) == "" {
			t.Errorf("emailAddrProblem(%q) = ok", s)
		}
	}
}
