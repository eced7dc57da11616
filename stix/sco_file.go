package stix

// Artifact, Directory and File (STIX 2.1 sections 6.1, 6.3, 6.7) with the
// file extensions.

// alternateDataStream is alternate-data-stream-type.
var alternateDataStream = []prop{
	{name: "name", kind: kString, required: true},
	{name: "hashes", kind: kHashes},
	{name: "size", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
}

// maxSafeInt bounds integer ranges that are open-ended in the
// specification.
const maxSafeInt = 1<<63 - 1

// peOptionalHeader is windows-pe-optional-header-type.
var peOptionalHeader = []prop{
	{name: "magic_hex", kind: kHex},
	{name: "major_linker_version", kind: kInteger},
	{name: "minor_linker_version", kind: kInteger},
	{name: "size_of_code", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
	{name: "size_of_initialized_data", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
	{name: "size_of_uninitialized_data", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
	{name: "address_of_entry_point", kind: kInteger},
	{name: "base_of_code", kind: kInteger},
	{name: "base_of_data", kind: kInteger},
	{name: "image_base", kind: kInteger},
	{name: "section_alignment", kind: kInteger},
	{name: "file_alignment", kind: kInteger},
	{name: "major_os_version", kind: kInteger},
	{name: "minor_os_version", kind: kInteger},
	{name: "major_image_version", kind: kInteger},
	{name: "minor_image_version", kind: kInteger},
	{name: "major_subsystem_version", kind: kInteger},
	{name: "minor_subsystem_version", kind: kInteger},
	{name: "win32_version_value_hex", kind: kHex},
	{name: "size_of_image", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
	{name: "size_of_headers", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
	{name: "checksum_hex", kind: kHex},
	{name: "subsystem_hex", kind: kHex},
	{name: "dll_characteristics_hex", kind: kHex},
	{name: "size_of_stack_reserve", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
	{name: "size_of_stack_commit", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
	{name: "size_of_heap_reserve", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
	{name: "size_of_heap_commit", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
	{name: "loader_flags_hex", kind: kHex},
	{name: "number_of_rva_and_sizes", kind: kInteger},
	{name: "hashes", kind: kHashes},
}

// peSection is windows-pe-section-type.
var peSection = []prop{
	{name: "name", kind: kString, required: true},
	{name: "size", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
	{name: "entropy", kind: kFloat},
	{name: "hashes", kind: kHashes},
}

// File extensions (section 6.7.2).
var (
	archiveExt = []prop{
		{name: "contains_refs", kind: kRefList, required: true, refs: refsFileOrDir},
		{name: "comment", kind: kString},
	}
	ntfsExt = []prop{
		{name: "sid", kind: kString},
		{name: "alternate_data_streams", kind: kObjectList, sub: alternateDataStream},
	}
	pdfExt = []prop{
		{name: "version", kind: kString},
		{name: "is_optimized", kind: kBool},
		{name: "document_info_dict", kind: kDict, check: dictValues("a string", isStr)},
		{name: "pdfid0", kind: kString},
		{name: "pdfid1", kind: kString},
	}
	rasterImageExt = []prop{
		{name: "image_height", kind: kInteger},
		{name: "image_width", kind: kInteger},
		{name: "bits_per_pixel", kind: kInteger},
		{name: "exif_tags", kind: kDict, check: dictValues("a string or an integer", isStrOrInt)},
	}
	windowsPEBinaryExt = []prop{
		{name: "pe_type", kind: kVocab, required: true, vocab: windowsPEBinaryTypeOV},
		{name: "imphash", kind: kString},
		{name: "machine_hex", kind: kHex},
		{name: "number_of_sections", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
		{name: "time_date_stamp", kind: kTimestamp, check: secondPrecision},
		{name: "pointer_to_symbol_table_hex", kind: kHex},
		{name: "number_of_symbols", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
		{name: "size_of_optional_header", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
		{name: "characteristics_hex", kind: kHex},
		{name: "file_header_hashes", kind: kHashes},
		{name: "optional_header", kind: kObject, sub: peOptionalHeader,
			check: anyOfCheck(`the Windows PE optional header "optional_header"`, propNames(peOptionalHeader)...)},
		{name: "sections", kind: kObjectList, sub: peSection},
	}
)

func init() {
	register(&typeDef{
		name:  "artifact",
		class: classSCO,
		props: []prop{
			{name: "mime_type", kind: kString, check: mimeTypeValue},
			{name: "payload_bin", kind: kBinary},
			{name: "url", kind: kString},
			{name: "hashes", kind: kHashes},
			{name: "encryption_algorithm", kind: kEnum, vocab: encryptionAlgorithmEnum},
			{name: "decryption_key", kind: kString},
		},
		idContrib: []string{"hashes", "payload_bin"},
		check:     artifactRules,
	})
	register(&typeDef{
		name:  "directory",
		class: classSCO,
		props: []prop{
			{name: "path", kind: kString, required: true},
			{name: "path_enc", kind: kString, check: charsetValue},
			{name: "ctime", kind: kTimestamp},
			{name: "mtime", kind: kTimestamp},
			{name: "atime", kind: kTimestamp},
			{name: "contains_refs", kind: kRefList, refs: refsFileOrDir},
		},
		idContrib: []string{"path"},
	})

	scoExtAnyOf["ntfs-ext"] = newAnyOf(propNames(ntfsExt)...)
	scoExtAnyOf["pdf-ext"] = newAnyOf(propNames(pdfExt)...)
	scoExtAnyOf["raster-image-ext"] = newAnyOf(propNames(rasterImageExt)...)
	scoExtAnyOf["windows-pebinary-ext"] = newAnyOf(propNames(windowsPEBinaryExt, "pe_type")...)
	fileHashesOrName := newAnyOf("hashes", "name")
	register(&typeDef{
		name:  "file",
		class: classSCO,
		props: []prop{
			{name: "hashes", kind: kHashes},
			{name: "size", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
			{name: "name", kind: kString},
			{name: "name_enc", kind: kString, check: charsetValue},
			{name: "magic_number_hex", kind: kHex},
			{name: "mime_type", kind: kString, check: mimeTypeValue},
			{name: "ctime", kind: kTimestamp},
			{name: "mtime", kind: kTimestamp},
			{name: "atime", kind: kTimestamp},
			{name: "parent_directory_ref", kind: kRef, refs: []string{"directory"}},
			{name: "contains_refs", kind: kRefList, refs: refsAnySCO},
			{name: "content_ref", kind: kRef, refs: refsArtifact},
		},
		idContrib: []string{"hashes", "name", "extensions", "parent_directory_ref"},
		extensions: map[string][]prop{
			"archive-ext":          archiveExt,
			"ntfs-ext":             ntfsExt,
			"pdf-ext":              pdfExt,
			"raster-image-ext":     rasterImageExt,
			"windows-pebinary-ext": windowsPEBinaryExt,
		},
		check: func(c *checker, o *Value, path string) {
			c.requireAnyOf(o, path, "a file", fileHashesOrName)
			c.checkSCOExtensions(o, path)
		},
	})
}

// artifactRules: url is a URL (unless defanged); exactly one of
// payload_bin and url; hashes with url; decryption_key only with
// encryption_algorithm.
func artifactRules(c *checker, o *Value, path string) {
	artifactURL(c, o, path)
	payload, url := o.Get("payload_bin"), o.Get("url")
	switch {
	case payload != nil && url != nil:
		c.errorf(joinPath(path, "url"), "artifact-content", `an artifact must not have both "payload_bin" and "url"`)
	case payload == nil && url == nil:
		c.errorf(path, "artifact-content", `an artifact needs one of "payload_bin" or "url"`)
	}
	if url != nil && o.Get("hashes") == nil {
		c.errorf(joinPath(path, "hashes"), "artifact-hashes", `property "hashes" is required when "url" is present`)
	}
	if o.Get("decryption_key") != nil && o.Get("encryption_algorithm") == nil {
		c.errorf(joinPath(path, "decryption_key"), "artifact-decryption-key", `property "decryption_key" must not be present without "encryption_algorithm"`)
	}
}

var artifactURL = formatCheck("url", urlValue)

// secondPrecision checks that a timestamp has no fractional seconds, as
// time_date_stamp MUST be precise to the second.
func secondPrecision(c *checker, v *Value, path string) {
	if _, frac, err := ParseTimestamp(v.Str); err == nil && frac > 0 {
		c.errorf(path, "timestamp-precision", "property %q must be precise to the second, without fractional seconds: %s", propName(path), quote(v.Str))
	}
}
