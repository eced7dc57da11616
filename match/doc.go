// Package match matches STIX 2.1 indicator patterns against a stream of
// observations: STIX observed-data, or log lines mapped to
// cyber-observable objects.
//
// A Builder compiles indicators (an id, a pattern parsed by package
// stix/pattern, and the validity window) into an Index; each goroutine then
// matches observations with a Matcher of its own, in time order.
//
// # How the index finds candidates
//
// Each observation expression ([...]) of a pattern is indexed under
// anchors: values that every object satisfying it must show.
//
//   - = and IN on a string, integer or Boolean constant: a hash map keyed
//     by the object path and the value, normalized with package observable
//     for addresses, CIDR blocks, domains, URLs, e-mail and MAC addresses
//     and hashes (so 10.0.0.1/32 equals 10.0.0.1, EXAMPLE.com equals
//     example.com, hash digits compare without case; hashes.SHA256 and
//     hashes.'SHA-256' are one path).
//   - ISSUBSET and ISSUPERSET: a prefix table per path (bart).
//   - LIKE: an Aho-Corasick automaton per path on the longest literal part
//     of each pattern; a value that contains it is then checked whole.
//   - MATCHES and EXISTS, and LIKE without a literal: every value of the
//     path is a candidate.
//   - anything else (NOT, !=, <, >, and constants of other types): every
//     object of the type is a candidate.
//
// Comparisons joined by AND are anchored by the cheapest operand; those
// joined by OR by all of theirs. A candidate is then evaluated in full,
// except where the anchor itself proves the match (= and IN on a path
// without list indexes, ISSUBSET, ISSUPERSET, EXISTS, and OR of those).
//
// # Log lines
//
// A LineMatcher reads a JSON-lines log by a Mapping and matches each line.
// When every pattern of the index is proven by equality look-ups alone, it
// scans a line once and looks its values up from the line's bytes, through
// a Bloom filter of the keys, without building objects; lines it cannot
// decide alone, and all lines of other indexes, it decodes with a
// LineDecoder and matches with a Matcher, with the same results.
//
// # Semantics (STIX 2.1 section 9)
//
// Comparison expressions. An observation expression holds for an
// observation when some object of the observation satisfies it:
// comparisons joined by AND must all hold for that one object (section
// 9.5), comparisons joined by OR for any. An object path reaches a set of
// values: [*] any item of a list, [n] the n-th (0-based; negative indexes
// reach nothing), a key step on a reference (_ref, _refs items) continues
// on the referenced object of the same observation, and .type reaches the
// object's type. A comparison holds when one of the values reached
// satisfies it; NOT negates the operator for each value, and != is NOT =.
// A path that reaches nothing satisfies no comparison, negated or not, and
// neither does a value of another type than the constant (a number against
// a string constant is neither equal nor unequal). Strings compare by
// bytes (code points); numbers as numbers, integers and floats alike;
// timestamp constants with RFC 3339 string values as instants; binary and
// hex constants with the decoded bytes of _bin (base64) and _hex
// properties, while a string constant compares with their text (section
// 9.6.4). LIKE is SQL LIKE: % any run of characters, _ one character, case
// sensitive. MATCHES runs Go's regexp (RE2) in DOTALL mode: PCRE
// constructs RE2 lacks (backreferences, lookaround) are refused when the
// indicator is compiled; on a _bin or _hex property it matches the decoded
// bytes, each byte read as the character of that code point (so \xd4
// matches the byte 0xd4). ISSUBSET holds when the value (an address or
// CIDR block) lies within the constant's block, ISSUPERSET when it
// contains it.
//
// Observation operators. A and B: both match, on different observations
// (no observation serves both sides). A OR B: either matches. A FOLLOWEDBY
// B: both match on different observations, every observation of B
// starting (first_observed) no earlier than every observation of A ends
// (last_observed). Chains of one operator hold the same way for each
// operand in turn.
//
// Qualifiers. An observation's time is its [first_observed,
// last_observed] interval; a log line's is one instant. WITHIN d SECONDS:
// the observations of the match span at most d, from the earliest
// first_observed to the latest last_observed. REPEATS n TIMES: n matches
// of the expression on pairwise different observations. START s STOP t:
// every observation of the match has first_observed at or after s and
// last_observed before t.
//
// Validity. An indicator matches only observations that end at or after
// its valid_from and start before its valid_until.
//
// # Streams and bounded state
//
// Observations are matched one by one, in the order given, which should be
// time order (ReadSTIX sorts observed-data by first_observed). A match is
// reported when an observation completes it: for a pattern of one
// observation expression, each observation that satisfies it; for a
// compound pattern, each observation that is part of some set of
// observations satisfying the whole pattern, together with the others of
// one such set (so [a] REPEATS 3 TIMES matches at the third a and again at
// each later a).
//
// The state is bounded: for each observation expression of a compound
// pattern (with AND, FOLLOWEDBY or REPEATS) a Matcher keeps the most
// recent matching observations, Options.History of them (16 by default,
// at least twice the largest REPEATS count, at most 1024), and drops those
// that can no longer fall within a WITHIN qualifier on the whole pattern.
// Evaluating a compound pattern keeps at most Options.MaxBindings partial
// matches per operator and tries at most 16,384 combinations, preferring
// those with the newest observation and then the most recent. A match that
// needs an observation older than that history, or one of many thousand
// near-equal combinations, can be missed; none is reported that does not
// hold.
package match
