package stix

import (
	"slices"
	"strings"
)

// Host observables (STIX 2.1 sections 6.11, 6.13, 6.14, 6.16-6.18): mutex,
// process with its Windows extensions, software, user account, Windows
// registry key and X.509 certificate.

// Process extensions (section 6.13.2).
var (
	windowsProcessExt = []prop{
		{name: "aslr_enabled", kind: kBool},
		{name: "dep_enabled", kind: kBool},
		{name: "priority", kind: kString, check: processPriority},
		{name: "owner_sid", kind: kString},
		{name: "window_title", kind: kString},
		{name: "startup_info", kind: kDict, check: startupInfo},
		{name: "integrity_level", kind: kEnum, vocab: windowsIntegrityLevelEnum},
	}
	windowsServiceExt = []prop{
		{name: "service_name", kind: kString},
		{name: "descriptions", kind: kStringList},
		{name: "display_name", kind: kString},
		{name: "group_name", kind: kString},
		{name: "start_type", kind: kEnum, vocab: windowsServiceStartTypeEnum},
		{name: "service_dll_refs", kind: kRefList, refs: refsFile},
		{name: "service_type", kind: kEnum, vocab: windowsServiceTypeEnum},
		{name: "service_status", kind: kEnum, vocab: windowsServiceStatusEnum},
	}
	unixAccountExt = []prop{
		{name: "gid", kind: kInteger},
		{name: "groups", kind: kStringList},
		{name: "home_dir", kind: kString},
		{name: "shell", kind: kString},
	}
)

// windowsRegistryValue is windows-registry-value-type.
var windowsRegistryValue = []prop{
	{name: "name", kind: kString},
	{name: "data", kind: kString},
	{name: "data_type", kind: kEnum, vocab: windowsRegistryDatatypeEnum},
}

// x509V3Extensions is x509-v3-extensions-type.
var x509V3Extensions = []prop{
	{name: "basic_constraints", kind: kString},
	{name: "name_constraints", kind: kString},
	{name: "policy_constraints", kind: kString},
	{name: "key_usage", kind: kString},
	{name: "extended_key_usage", kind: kString},
	{name: "subject_key_identifier", kind: kString},
	{name: "authority_key_identifier", kind: kString},
	{name: "subject_alternative_name", kind: kString},
	{name: "issuer_alternative_name", kind: kString},
	{name: "subject_directory_attributes", kind: kString},
	{name: "crl_distribution_points", kind: kString},
	{name: "inhibit_any_policy", kind: kString},
	{name: "private_key_usage_period_not_before", kind: kTimestamp},
	{name: "private_key_usage_period_not_after", kind: kTimestamp},
	{name: "certificate_policies", kind: kString},
	{name: "policy_mappings", kind: kString},
}

func init() {
	register(&typeDef{
		name:  "mutex",
		class: classSCO,
		props: []prop{
			{name: "name", kind: kString, required: true},
		},
		idContrib: []string{"name"},
	})

	scoExtAnyOf["windows-process-ext"] = newAnyOf(propNames(windowsProcessExt)...)
	scoExtAnyOf["windows-service-ext"] = newAnyOf(propNames(windowsServiceExt)...)
	processProps := []prop{
		{name: "is_hidden", kind: kBool},
		{name: "pid", kind: kInteger},
		{name: "created_time", kind: kTimestamp},
		{name: "cwd", kind: kString},
		{name: "command_line", kind: kString},
		{name: "environment_variables", kind: kDict, check: dictValues("a string", isStr)},
		{name: "opened_connection_refs", kind: kRefList, refs: refsNetTraffic},
		{name: "creator_user_ref", kind: kRef, refs: refsUserAccount},
		{name: "image_ref", kind: kRef, refs: refsFile},
		{name: "parent_ref", kind: kRef, refs: refsProcess},
		{name: "child_refs", kind: kRefList, refs: refsProcess},
	}
	processOwn := newAnyOf(propNames(processProps)...)
	register(&typeDef{
		name:  "process",
		class: classSCO,
		props: processProps,
		// A process has no ID-contributing properties: its id is a UUIDv4.
		extensions: map[string][]prop{
			"windows-process-ext": windowsProcessExt,
			"windows-service-ext": windowsServiceExt,
		},
		check: func(c *checker, o *Value, path string) {
			c.requireOwnProperty(o, path, processOwn, true)
			c.checkSCOExtensions(o, path)
		},
	})

	register(&typeDef{
		name:  "software",
		class: classSCO,
		props: []prop{
			{name: "name", kind: kString, required: true},
			{name: "cpe", kind: kString, check: cpeValue},
			{name: "swid", kind: kString},
			{name: "languages", kind: kStringList, check: softwareLanguages},
			{name: "vendor", kind: kString},
			{name: "version", kind: kString},
		},
		idContrib: []string{"name", "cpe", "swid", "vendor", "version"},
	})

	scoExtAnyOf["unix-account-ext"] = newAnyOf(propNames(unixAccountExt)...)
	userAccountProps := []prop{
		{name: "user_id", kind: kString},
		{name: "credential", kind: kString},
		{name: "account_login", kind: kString},
		{name: "account_type", kind: kVocab, vocab: accountTypeOV},
		{name: "display_name", kind: kString},
		{name: "is_service_account", kind: kBool},
		{name: "is_privileged", kind: kBool},
		{name: "can_escalate_privs", kind: kBool},
		{name: "is_disabled", kind: kBool},
		{name: "account_created", kind: kTimestamp},
		{name: "account_expires", kind: kTimestamp},
		{name: "credential_last_changed", kind: kTimestamp},
		{name: "account_first_login", kind: kTimestamp},
		{name: "account_last_login", kind: kTimestamp},
	}
	userAccountOwn := newAnyOf(propNames(userAccountProps)...)
	register(&typeDef{
		name:       "user-account",
		class:      classSCO,
		props:      userAccountProps,
		idContrib:  []string{"account_type", "user_id", "account_login"},
		extensions: map[string][]prop{"unix-account-ext": unixAccountExt},
		check: func(c *checker, o *Value, path string) {
			c.requireOwnProperty(o, path, userAccountOwn, true)
			c.checkSCOExtensions(o, path)
		},
	})

	registryKeyProps := []prop{
		{name: "key", kind: kString, check: registryKeyHive},
		{name: "values", kind: kObjectList, sub: windowsRegistryValue,
			check: anyOfCheck("a registry value", propNames(windowsRegistryValue)...)},
		{name: "modified_time", kind: kTimestamp},
		{name: "creator_user_ref", kind: kRef, refs: refsUserAccount},
		{name: "number_of_subkeys", kind: kInteger, hasRange: true, min: 0, max: maxSafeInt},
	}
	registryKeyOwn := newAnyOf(propNames(registryKeyProps)...)
	register(&typeDef{
		name:      "windows-registry-key",
		class:     classSCO,
		props:     registryKeyProps,
		idContrib: []string{"key", "values"},
		check: func(c *checker, o *Value, path string) {
			c.requireOwnProperty(o, path, registryKeyOwn, false)
		},
	})

	x509Props := []prop{
		{name: "is_self_signed", kind: kBool},
		{name: "hashes", kind: kHashes},
		{name: "version", kind: kString},
		{name: "serial_number", kind: kString},
		{name: "signature_algorithm", kind: kString},
		{name: "issuer", kind: kString},
		{name: "validity_not_before", kind: kTimestamp},
		{name: "validity_not_after", kind: kTimestamp},
		{name: "subject", kind: kString},
		{name: "subject_public_key_algorithm", kind: kString},
		{name: "subject_public_key_modulus", kind: kString},
		{name: "subject_public_key_exponent", kind: kInteger},
		{name: "x509_v3_extensions", kind: kObject, sub: x509V3Extensions,
			check: anyOfCheck(`the X.509 v3 extensions "x509_v3_extensions"`, propNames(x509V3Extensions)...)},
	}
	x509Own := newAnyOf(propNames(x509Props)...)
	register(&typeDef{
		name:      "x509-certificate",
		class:     classSCO,
		props:     x509Props,
		idContrib: []string{"hashes", "serial_number"},
		check: func(c *checker, o *Value, path string) {
			c.requireOwnProperty(o, path, x509Own, false)
		},
	})
}

// processPriority warns when a Windows priority class does not end in
// "_CLASS", as the specification recommends (e.g. HIGH_PRIORITY_CLASS).
func processPriority(c *checker, v *Value, path string) {
	if !strings.HasSuffix(v.Str, "_CLASS") {
		c.warnf(path, "process-priority", `property "priority" should be a Windows priority class ending in "_CLASS", such as "HIGH_PRIORITY_CLASS", not %s`, quote(v.Str))
	}
}

// startupInfoFields are the members of the Windows STARTUPINFO structure,
// the only keys startup_info may have.
var startupInfoFields = []string{"cb", "lpReserved", "lpDesktop", "lpTitle", "dwX", "dwY",
	"dwXSize", "dwYSize", "dwXCountChars", "dwYCountChars", "dwFillAttribute", "dwFlags",
	"wShowWindow", "cbReserved2", "lpReserved2", "hStdInput", "hStdOutput", "hStdError"}

// startupInfo checks the startup_info dictionary: keys are STARTUPINFO
// member names, values strings or integers.
func startupInfo(c *checker, v *Value, path string) {
	for i := range v.Members {
		m := &v.Members[i]
		mp := joinPath(path, m.Name)
		if !slices.Contains(startupInfoFields, m.Name) {
			c.errorf(mp, "startup-info", "startup_info key %s must be the name of a STARTUPINFO member such as \"lpDesktop\" or \"dwFlags\"", quote(m.Name))
		}
		if !isStrOrInt(&m.Value) {
			c.errorf(mp, "dict-value", "the value of %s in \"startup_info\" must be a string or an integer, not %s", quote(m.Name), aKind(m.Value.Kind))
		}
	}
}

// registryHiveAbbreviations are the short hive names the specification
// forbids in favour of the full ones.
var registryHiveAbbreviations = map[string]string{
	"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
	"HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG", "HKPD": "HKEY_PERFORMANCE_DATA",
}

// registryKeyHive checks that a registry key starts with its hive, written
// out in full (HKEY_LOCAL_MACHINE, not HKLM).
func registryKeyHive(c *checker, v *Value, path string) {
	hive := v.Str
	if i := strings.IndexByte(hive, '\\'); i >= 0 {
		hive = hive[:i]
	}
	hive = strings.ToUpper(hive)
	if full, ok := registryHiveAbbreviations[hive]; ok {
		c.errorf(path, "registry-key-hive", "the hive of registry key %s must be written out in full: %s, not %s", quote(v.Str), full, hive)
		return
	}
	if !strings.HasPrefix(hive, "HKEY_") {
		c.errorf(path, "registry-key-hive", "registry key %s must start with its hive, such as HKEY_LOCAL_MACHINE\\", quote(v.Str))
	}
}

// cpeValue checks a CPE 2.3 formatted string: "cpe:2.3:" then the part
// (a, o, h, * or -) and ten more colon-separated components, colons inside
// components escaped with a backslash.
func cpeValue(c *checker, v *Value, path string) {
	s := v.Str
	ok := strings.HasPrefix(s, "cpe:2.3:") && len(s) > 9 && strings.IndexByte("aoh*-", s[8]) >= 0 && s[9] == ':'
	if ok {
		colons := 0
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case ':':
				colons++
			}
		}
		ok = colons == 12
	}
	if !ok {
		c.errorf(path, "cpe", `property "cpe" must be a CPE 2.3 formatted string of 13 colon-separated components, such as "cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*", not %s`, quote(s))
	}
}

// softwareLanguages checks software languages: each MUST be an ISO 639-2
// code (three lower-case letters). Two-letter and regional codes, which
// the OASIS JSON schema also admits, are warned about; anything that is not
// a language tag at all is an error.
func softwareLanguages(c *checker, v *Value, path string) {
	for i := range v.Elems {
		s := v.Elems[i].Str
		ep := indexPath(path, i)
		switch {
		case len(s) == 3 && isLowerAlpha(s):
		case langRE.MatchString(s):
			c.warnf(ep, "software-language", "languages should be ISO 639-2 codes of three lower-case letters, such as \"eng\", not %s", quote(s))
		default:
			c.errorf(ep, "software-language", "languages must be ISO 639-2 language codes such as \"eng\", not %s", quote(s))
		}
	}
}

func isLowerAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}
