// Package pii finds personal data in the free text of STIX objects and
// redacts it. It is the privacy step of the ingest pipeline (issue 5): the
// pipeline scans each submitted object with ScanObject and, by the
// collection's policy, redacts the findings with Redact, holds the object
// for review, or rejects it.
//
//	findings, err := pii.ScanObject(raw, pii.Options{FlagIdentifiers: true})
//	redacted, records, err := pii.Redact(raw, findings)
//
// ScanText is the detector itself, over one text. Every function of the
// package is safe for concurrent use.
//
// # Kinds
//
// Each span has a Kind; its name (Kind.String) is stable and appears in
// placeholders ([REDACTED:email]), records and receipts.
//
//	| name         | what is found |
//	|--------------|---------------|
//	| email        | an address of a person: local@host with a host of two or more labels and a top-level domain of letters (or xn--); not a role mailbox, not at a documentation domain (below) |
//	| phone        | a number starting with + and a country code, in groups separated by single spaces, hyphens, dots or slashes, optionally with a trunk prefix "(0)", 8 to 15 digits, valid for its country by github.com/nyaruka/phonenumbers; or a North American number in a national format: (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, optionally after "1-", valid for the NANP |
//	| ssn          | a US social security number AAA-GG-SSSS; AAA GG SSSS and AAAGGSSSS only within 40 bytes after "SSN", "social security", "soc. sec." or "SS#"/"SS no"; never area 000, 666 or 900-999, group 00 or serial 0000 (never issued) |
//	| card         | 13 to 19 digits, contiguous or grouped as cards print them (4-4-4-4, 4-4-4-4-3, 4-6-5, 4-6-4; single spaces or single hyphens, the same throughout), with a valid Luhn digit and the prefix and length of a card network: Visa, Mastercard (51-55, 2221-2720), American Express, Discover, JCB, Diners Club, UnionPay, Maestro, Mir, RuPay |
//	| iban         | a country code of the SWIFT IBAN registry, two check digits and exactly that country's length of upper-case letters and digits, contiguous or in groups of four separated by single spaces, passing the ISO 7064 mod-97 check |
//	| passport     | a token of 6 to 9 upper-case letters and digits, at least 5 of them digits, within 40 bytes after "passport" (or passeport, pasaporte, passaporto, Reisepass, paspoort), with only words such as "No.", "number", "#" and ":" between |
//	| address      | a house number (1-6 digits, optional letter), one to four capitalized words or ordinals and a street suffix (Street, St, Avenue, Ave, Road, Rd, Boulevard, Blvd, Lane, Drive, Court, Place, Way, Terrace, Parkway, Highway, Circle, Square, Trail, Plaza, Close, Crescent, Alley, Pike, Loop and their abbreviations), then optionally a direction (NW), a unit (", Suite 100") and ", City, ST 12345(-6789)" with a US state code; or a German street ending in -straße, -strasse or -str. followed by a house number, optionally ", 10115 Town" |
//	| possible-pii | with Options.FlagIdentifiers only: an identifier of a mailbox or account (see Properties) |
//
// Every number must stand alone: a number glued to a word, or to '.', '-',
// '/', '\', ':', '@', '+', '=', '_' and more of a token, is part of
// something else (a version, a path, a time, an identifier), and a grouped
// number followed or preceded across its separator by a hexadecimal group
// of the same length is part of a hex dump. So hashes, IP addresses,
// timestamps, UUIDs, CVE and ATT&CK ids (T1059.001), version strings and
// registry paths do not fire. Overlapping spans are resolved in favour of
// the one that starts first, then the longest, then the more specific kind.
//
// # Whose email address
//
// Organizations' mailboxes are not personal data and are shared on purpose
// in threat intelligence. A local part made only of these words (split at
// '.', '-' and '_', ignoring a +tag and numbers) is a role mailbox and is
// not flagged: abuse, admin, administrator, alert(s), billing, bounce(s),
// bug, bounty, bugbounty, careers, cert, cirt, ciso, compliance,
// contact(s), csirt, cti, daemon, disclosure, dmarc, do, donotreply, dpo,
// enquiries, enquiry, feedback, gdpr, git, help, helpdesk, hostmaster, hr,
// incident(s), info, information, intel, it, jobs, legal, mail, mailer,
// marketing, media, news, newsletter, no, noc, noreply, not,
// notification(s), office, ops, phishing, postmaster, press, privacy,
// psirt, reply, report(s), root, sales, secops, security, service, soc,
// spam, support, sysadmin, team, tech, threatintel, vuln, vulnerability,
// webmaster, www. So abuse@, security-team@, cert.report@ and no-reply@
// are organizational; john.security@ is a person's.
//
// Addresses at domains reserved for documentation (example.com,
// example.net, example.org and their subdomains; .example, .test,
// .invalid, .localhost; RFC 2606 and RFC 6761) reach no one and are not
// flagged. Neither are a URL's user information (http://user@host), an
// address glued to another (a@b@c.com), nor defanged addresses
// (john[@]corp[.]com), which in threat intelligence mark indicators.
//
// # Properties
//
// ScanObject scans, in the object's JSON as submitted:
//
//   - on every object: name, description, labels, aliases, objective
//     (campaign), goals (intrusion-set, threat-actor) and
//     external_references[*].description;
//   - every member whose name starts with x_, at any depth (in extensions
//     too), with every string inside it, recursively;
//   - note: abstract, content, authors; opinion: explanation, authors;
//     email-message: subject, body, body_multipart[*].body; user-account:
//     display_name; identity: contact_information when identity_class is
//     "individual" (an organization's contact details are published to be
//     used).
//
// Labels are scanned: they are open-vocabulary strings, and submitters do
// put free text in them. Structured properties are not scanned: ids,
// references, timestamps, hashes, URLs (including external_references
// url), additional email header fields, location fields (a location is a
// place by design), and the values of cyber-observables and indicator
// patterns, which are indicators, not personal data.
//
// With Options.FlagIdentifiers, identifiers of mailboxes and accounts are
// flagged as possible-pii, for a policy to hold or redact: the local part
// of an email-addr value, the user_id and account_login of a user-account,
// and in indicators with pattern_type stix the string literals compared with
// email-addr:value, email-message:{from,sender}_ref.value or
// {to,cc,bcc}_refs[*].value (the local part of an address, the whole
// literal otherwise, LIKE and MATCHES included), or with user-account
// user_id, account_login or display_name. Role mailboxes, documentation
// domains and built-in system accounts (root, Administrator, SYSTEM, guest,
// nobody, krbtgt, user id 0, ...) are not flagged.
//
// A finding's Path names the string (description,
// external_references[2].description, x_acme_notes.comment; a member name
// with other characters than letters, digits, '_' and '-' as
// x_acme["odd name"]); Start and End are byte offsets in the decoded
// string.
//
// # Redaction
//
// Redact replaces each span by [REDACTED:kind] in the object's bytes and
// changes no other byte: escapes, white space and member order stay as
// submitted, and an escape inside a span goes with it. The local part of
// an email-addr value becomes "[REDACTED:possible-pii]" in quotes, so that
// the value is still an address. The copy is checked with
// stix.ValidateObject: a redaction that would make a valid object invalid
// is refused. Redaction records hold the path, the kind and the length of
// the text removed, never the text. A deterministic cyber-observable id
// computed from a redacted property no longer matches it, which STIX
// validation reports as a warning only. Placeholders are never flagged
// again, so scanning a redacted copy finds nothing new.
//
// # Bounded time
//
// There is no regular expression in the detector: each kind is a
// hand-written scanner that starts only at its anchor (a digit, '+' or '('
// at a token boundary, an '@', an upper-case letter, a keyword) and reads a
// bounded window from it (an address at most 64+253 bytes, a card 19
// digits in at most 6 groups, a phone number 32 bytes, an IBAN 34
// characters, a keyword 40 bytes), so the cost is linear in the text,
// whatever its content and whether or not it is valid UTF-8; the tests feed
// megabytes of digits, separators, '@' and keywords. The phonenumbers
// library (which uses Go's linear-time regexp) is asked only about
// candidates of at most 32 bytes, and checks at most 64 numbers in full per
// text (10-30 µs each); past that budget a number whose length is possible
// for its country is taken as a phone number without the full check, so a
// text made of numbers costs about 1 µs per number and errs towards
// flagging. Kinds other than phone cost well under 1 µs per candidate.
// The JSON walk reads the bytes once, recursing at most
// stix.MaxDepth levels deep.
//
// # Measured false positives
//
// On the MITRE ATT&CK bundles in ../shared/data (which hold no personal data
// of victims or analysts), TestAttackFalsePositives finds:
//
//	| bundle                 | objects | descriptions       | ScanText on descriptions | ScanObject, all scanned properties |
//	|------------------------|---------|--------------------|--------------------------|------------------------------------|
//	| Enterprise 18.1        | 24,772  | 22,762 (6.0 MB)    | 1 (email)                | 4 (email)                          |
//	| ICS 18.1               | 1,826   | 970 (0.4 MB)       | 0                        | 0                                  |
//	| Mobile 17.1            | 2,148   | 2,033 (0.5 MB)     | 0                        | 0                                  |
//
// The four spans are two real mailboxes of threat actors that ATT&CK
// quotes: rocke@live.cn, from which the Rocke group takes its name, and
// DangerDev@protonmail.me, in the title of a cited report (three external
// references). They are personal data of pseudonymous persons, so the
// detector is right to flag them; a collection with a review policy lets an
// analyst release them. No other span fires: zero false positives. The test
// lists these four and fails on any other span, so the threshold of false
// positives is zero. In the OASIS examples the findings are the mailboxes
// of the individuals of apt1.json (identity contact_information) and one
// in poisonivy.json, and with FlagIdentifiers an email-addr value and a
// MATCHES pattern on a sender address (TestOASISExamples).
//
// # Not detected
//
// Names of persons; dates of birth; national phone formats other than the
// NANP ones (they need a country to be read) and international numbers
// written with 00 instead of +; digits other than ASCII; addresses with
// non-ASCII local parts or domains; IBANs in lower case; street addresses
// in other styles than the two above; national identity numbers other than
// SSNs and passports; free text in unknown top-level properties that do
// not start with x_ (toplevel-property-extension), and SCOs embedded in the
// deprecated observed-data objects dictionary.
package pii
