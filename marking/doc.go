// Package marking makes the one access decision of Tearline: for a recipient
// and a stored STIX object version, whether the object is withheld, goes
// whole, or goes as a redacted copy with the parts the recipient may not see
// removed. It interprets TLP 1.0 and 2.0, classification and releasability
// (the Tearline marking extension and the DHS/CISA ACS 3.0 extension),
// originator control and granular markings. No other package interprets
// markings.
//
// Policy.Decide is the read side; Policy.Check is the ingest side, refusing
// objects whose markings could not be enforced. Definitions holds the
// marking-definition objects the server knows.
//
// # Audiences
//
// A recipient's relation to the object gives the highest TLP level it may
// receive. Relations are set by the caller per read (Recipient), except
// Originator (the object's created_by_ref is the recipient's organization)
// and Named (the organization is listed in the object's
// x_tearline_distribution property), which are read from the object.
//
//	| Relation                 | Highest level received        |
//	|--------------------------|-------------------------------|
//	| Anonymous                | CLEAR if the collection serves anonymous readers, else nothing |
//	| any organization served  | CLEAR                         |
//	| Member (or peer ≥ GREEN) | GREEN                         |
//	| ClientOf a reader        | AMBER                         |
//	| CollectionReader         | AMBER+STRICT                  |
//	| Named                    | RED                           |
//	| Originator               | everything, every marking     |
//
// A peer never receives above its ceiling, nor originator-controlled content.
//
// # Markings
//
//	| Marking                                   | Who passes |
//	|-------------------------------------------|------------|
//	| TLP 1.0 WHITE, TLP 2.0 CLEAR              | level CLEAR |
//	| TLP 1.0 GREEN, TLP 2.0 GREEN              | level GREEN |
//	| TLP 1.0 AMBER, TLP 2.0 AMBER              | level AMBER |
//	| TLP 2.0 AMBER+STRICT                      | level AMBER+STRICT |
//	| TLP 1.0 RED, TLP 2.0 RED                  | level RED (Named) |
//	| no TLP object marking                     | the Options.Unmarked level (default AMBER+STRICT); marking and extension definitions: CLEAR |
//	| statement                                 | everyone (never restricts) |
//	| Tearline classification                   | clearance ≥ classification in the ordered levels (default UNCLASSIFIED < CUI < CONFIDENTIAL < SECRET < TOP SECRET; no clearance = the lowest) |
//	| Tearline rel_to                           | the recipient's country (alpha-2 or alpha-3) or one of its communities is listed |
//	| Tearline orcon                            | as AMBER+STRICT, never to peers; Result.ORCON set |
//	| ACS 3.0 control_set.classification        | U, C, S, TS as UNCLASSIFIED, CONFIDENTIAL, SECRET, TOP SECRET (levels must be configured) |
//	| ACS 3.0 control_set.permitted_nationalities | the recipient's country is listed (or ALL) |
//	| ACS 3.0 control_set.permitted_organizations | a community of the recipient equals a listed token or lies under it (USA.DHS admits USA.DHS.US-CERT), or ALL |
//	| ACS 3.0 access_privilege ANONYMOUSACCESS  | anonymous readers only with a permit entry |
//	| ACS 3.0 further_sharing                   | onward recipients (peers, clients of readers) must match a permit rule's sharing_scope and no deny rule's: ALL, their country, or a community at or under the token |
//	| ACS 3.0 other fields                      | carried in Definition.ACS, not enforced (formal_determination, caveat, sensitivity, shareability, entity, responsible entities, public_release, privilege actions other than ANONYMOUSACCESS) |
//	| any other definition_type or extension    | nobody but the originator (withheld; refused at ingest) |
//	| a marking-definition id not known         | nobody (withheld; refused at ingest) |
//
// Several object markings combine: every one must pass, so the strictest
// wins. At ingest, two different TLP levels or two different classifications
// in object_marking_refs are contradictory and refused, and content marked
// originator-controlled (object or granular marking) is accepted only from
// the organization its created_by_ref names (which it must have); others
// ask the originator for a wider release.
//
// # Granular markings and redaction
//
// A granular marking with marking_ref that the recipient does not pass
// removes the properties or list items its selectors select; lang markings
// never restrict. A container left empty is removed too. The object is
// withheld when a property its type requires would go, when a selector
// selects the markings themselves, when a selector does not resolve, or
// when the copy would not be valid STIX. The granular markings that stay
// lose the selectors of removed parts (and entries left without selectors),
// and list indexes are renumbered past removed items, so nothing in the copy
// betrays what was removed. The copy is built from the stored bytes: kept
// members keep their exact text and whitespace.
//
// The Tearline marking extension (TearlineExtension) is a property
// extension of marking-definition objects:
//
//	"extensions": {"extension-definition--e4443871-90e5-517c-afa6-10e0687c60a7": {
//	    "extension_type": "property-extension",
//	    "classification": "SECRET", "rel_to": ["USA", "GBR", "FVEY"], "orcon": true}}
package marking
