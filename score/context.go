package score

// Features are what an object carries or is related to that gives it
// context (see the package comment).
type Features uint32

// The context features.
const (
	KillChain Features = 1 << iota
	AttackPattern
	MalwareOrTool
	Actor // a threat actor, intrusion set or campaign
	LongDescription
	ShortDescription
	ValidUntil
	ExternalReferences
	Labels
)

// LongDescriptionLen is the description length (in characters) that
// earns the full points.
const LongDescriptionLen = 100

// features lists the features with their points and how a receipt names
// them when missing. ShortDescription is worth part of LongDescription.
var features = []struct {
	f       Features
	points  int
	missing string
	token   string // in receipts, where arguments have no spaces
}{
	{KillChain, 20, "kill chain phases", "kill-chain-phases"},
	{AttackPattern, 15, "related attack pattern", "related-attack-pattern"},
	{MalwareOrTool, 15, "related malware or tool", "related-malware-or-tool"},
	{Actor, 15, "related threat actor, intrusion set or campaign", "related-actor"},
	{LongDescription, 10, "description", "description"},
	{ValidUntil, 10, "validity window (valid_until)", "valid-until"},
	{ExternalReferences, 10, "external references", "external-references"},
	{Labels, 5, "labels", "labels"},
}

const shortDescriptionPoints = 5

// Context returns the context score (0-100) of an object with features f.
func Context(f Features) int {
	n := 0
	for _, x := range features {
		if f&x.f != 0 {
			n += x.points
		} else if x.f == LongDescription && f&ShortDescription != 0 {
			n += shortDescriptionPoints
		}
	}
	return n
}

// Missing names the features that f lacks, in the order of the package
// comment's table; a short description is named as lacking length.
func Missing(f Features) []string {
	var out []string
	for _, x := range features {
		switch {
		case f&x.f != 0:
		case x.f == LongDescription && f&ShortDescription != 0:
			out = append(out, "a longer description")
		default:
			out = append(out, x.missing)
		}
	}
	return out
}

// MissingTokens is Missing in one-word tokens for receipts
// ("kill-chain-phases", "related-actor", "longer-description", ...).
func MissingTokens(f Features) []string {
	var out []string
	for _, x := range features {
		switch {
		case f&x.f != 0:
		case x.f == LongDescription && f&ShortDescription != 0:
			out = append(out, "longer-description")
		default:
			out = append(out, x.token)
		}
	}
	return out
}

// RelatedFeature returns the feature a relationship to an object of type
// typ gives, or 0.
func RelatedFeature(typ string) Features {
	switch typ {
	case "attack-pattern":
		return AttackPattern
	case "malware", "tool":
		return MalwareOrTool
	case "threat-actor", "intrusion-set", "campaign":
		return Actor
	}
	return 0
}

// Related reports whether a relationship to an object of type typ counts
// for context.
func Related(typ string) bool { return RelatedFeature(typ) != 0 }
