package stix

// The open vocabularies (-ov: other values are a warning) and enumerations
// (-enum: other values are an error) of STIX 2.1 section 10. hash-algorithm-ov
// is hashAlgorithms in hashes.go and extension-type-enum is extensionTypeProp
// in common.go.
var (
	accountTypeOV = []string{"facebook", "ldap", "nis", "openid", "radius", "skype", "tacacs",
		"twitter", "unix", "windows-local", "windows-domain"}

	attackMotivationOV = []string{"accidental", "coercion", "dominance", "ideology", "notoriety",
		"organizational-gain", "personal-gain", "personal-satisfaction", "revenge", "unpredictable"}

	attackResourceLevelOV = []string{"individual", "club", "contest", "team", "organization", "government"}

	encryptionAlgorithmEnum = []string{"AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"}

	groupingContextOV = []string{"suspicious-activity", "malware-analysis", "unspecified"}

	identityClassOV = []string{"individual", "group", "system", "organization", "class", "unknown"}

	implementationLanguageOV = []string{"applescript", "bash", "c", "c++", "c#", "go", "java",
		"javascript", "lua", "objective-c", "perl", "php", "powershell", "python", "ruby", "scala",
		"swift", "typescript", "visual-basic", "x86-32", "x86-64"}

	indicatorTypeOV = []string{"anomalous-activity", "anonymization", "benign", "compromised",
		"malicious-activity", "attribution", "unknown"}

	industrySectorOV = []string{"agriculture", "aerospace", "automotive", "chemical", "commercial",
		"communications", "construction", "defense", "education", "energy", "entertainment",
		"financial-services", "government", "emergency-services", "government-national",
		"government-regional", "government-local", "government-public-services", "healthcare",
		"hospitality-leisure", "infrastructure", "dams", "nuclear", "water", "insurance",
		"manufacturing", "mining", "non-profit", "pharmaceuticals", "retail", "technology",
		"telecommunications", "transportation", "utilities"}

	infrastructureTypeOV = []string{"amplification", "anonymization", "botnet", "command-and-control",
		"exfiltration", "hosting-malware", "hosting-target-lists", "phishing", "reconnaissance",
		"staging", "unknown"}

	malwareCapabilitiesOV = []string{"accesses-remote-machines", "anti-debugging", "anti-disassembly",
		"anti-emulation", "anti-memory-forensics", "anti-sandbox", "anti-vm",
		"captures-input-peripherals", "captures-output-peripherals", "captures-system-state-data",
		"cleans-traces-of-infection", "commits-fraud", "communicates-with-c2",
		"compromises-data-availability", "compromises-data-integrity",
		"compromises-system-availability", "controls-local-machine", "degrades-security-software",
		"degrades-system-updates", "determines-c2-server", "emails-spam", "escalates-privileges",
		"evades-av", "exfiltrates-data", "fingerprints-host", "hides-artifacts",
		"hides-executing-code", "infects-files", "infects-remote-machines",
		"installs-other-components", "persists-after-system-reboot", "prevents-artifact-access",
		"prevents-artifact-deletion", "probes-network-environment", "self-modifies",
		"steals-authentication-credentials", "violates-system-operational-integrity"}

	malwareResultOV = []string{"malicious", "suspicious", "benign", "unknown"}

	malwareTypeOV = []string{"adware", "backdoor", "bot", "bootkit", "ddos", "downloader", "dropper",
		"exploit-kit", "keylogger", "ransomware", "remote-access-trojan", "resource-exploitation",
		"rogue-security-software", "rootkit", "screen-capture", "spyware", "trojan", "unknown",
		"virus", "webshell", "wiper", "worm"}

	networkSocketAddressFamilyEnum = []string{"AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK",
		"AF_NETBIOS", "AF_INET6", "AF_IRDA", "AF_BTH"}

	networkSocketTypeEnum = []string{"SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET"}

	opinionEnum = []string{"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"}

	patternTypeOV = []string{"stix", "pcre", "sigma", "snort", "suricata", "yara"}

	processorArchitectureOV = []string{"alpha", "arm", "ia-64", "mips", "powerpc", "sparc", "x86", "x86-64"}

	regionOV = []string{"africa", "eastern-africa", "middle-africa", "northern-africa",
		"southern-africa", "western-africa", "americas", "latin-america-caribbean", "south-america",
		"caribbean", "central-america", "northern-america", "asia", "central-asia", "eastern-asia",
		"southern-asia", "south-eastern-asia", "western-asia", "europe", "eastern-europe",
		"northern-europe", "southern-europe", "western-europe", "oceania", "antarctica",
		"australia-new-zealand", "melanesia", "micronesia", "polynesia"}

	reportTypeOV = []string{"attack-pattern", "campaign", "identity", "indicator", "intrusion-set",
		"malware", "observed-data", "threat-actor", "threat-report", "tool", "vulnerability"}

	threatActorRoleOV = []string{"agent", "director", "independent", "infrastructure-architect",
		"infrastructure-operator", "malware-author", "sponsor"}

	threatActorSophisticationOV = []string{"none", "minimal", "intermediate", "advanced", "expert",
		"innovator", "strategic"}

	threatActorTypeOV = []string{"activist", "competitor", "crime-syndicate", "criminal", "hacker",
		"insider-accidental", "insider-disgruntled", "nation-state", "sensationalist", "spy",
		"terrorist", "unknown"}

	toolTypeOV = []string{"denial-of-service", "exploitation", "information-gathering",
		"network-capture", "credential-exploitation", "remote-access", "vulnerability-scanning", "unknown"}

	windowsIntegrityLevelEnum = []string{"low", "medium", "high", "system"}

	windowsPEBinaryTypeOV = []string{"dll", "exe", "sys"}

	windowsRegistryDatatypeEnum = []string{"REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY",
		"REG_DWORD", "REG_DWORD_BIG_ENDIAN", "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ",
		"REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST",
		"REG_QWORD", "REG_INVALID_TYPE"}

	windowsServiceStartTypeEnum = []string{"SERVICE_AUTO_START", "SERVICE_BOOT_START",
		"SERVICE_DEMAND_START", "SERVICE_DISABLED", "SERVICE_SYSTEM_ALERT"}

	windowsServiceTypeEnum = []string{"SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER",
		"SERVICE_WIN32_OWN_PROCESS", "SERVICE_WIN32_SHARE_PROCESS"}

	windowsServiceStatusEnum = []string{"SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING",
		"SERVICE_PAUSED", "SERVICE_RUNNING", "SERVICE_START_PENDING", "SERVICE_STOP_PENDING",
		"SERVICE_STOPPED"}
)
