package markingtest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Countries are the country codes profiles and REL TO lists draw from,
// alpha-2 and alpha-3 forms of the same countries.
var Countries = []string{"US", "USA", "GB", "GBR", "CA", "CAN", "FR", "FRA", "DE", "DEU", "AU", "AUS", "NZ", "NZL", "JP", "JPN"}

// Communities are the communities profiles and REL TO lists draw from.
var Communities = []string{"FVEY", "NATO", "EU", "ISAC-FIN"}

// RandomDefs returns n Tearline marking definitions with random
// classification, REL TO and originator control, each restricting
// something; ids are drawn from rng.
func RandomDefs(rng *rand.Rand, n int) []Def {
	var defs []Def
	for range n {
		d := Def{ID: fmt.Sprintf("marking-definition--%s", uuid4(rng)), Class: -1}
		if rng.IntN(2) == 0 {
			d.Class = rng.IntN(len(Levels))
		}
		if rng.IntN(2) == 0 {
			for _, a := range append(slices.Clone(Countries), Communities...) {
				if rng.IntN(6) == 0 {
					d.RelTo = append(d.RelTo, a)
				}
			}
		}
		d.ORCON = rng.IntN(6) == 0
		if d.Class < 0 && len(d.RelTo) == 0 && !d.ORCON {
			d.Class = 1 + rng.IntN(len(Levels)-1)
		}
		defs = append(defs, d)
	}
	return defs
}

// JSON returns the marking-definition object of a Tearline definition.
func (d Def) JSON() []byte {
	ext := map[string]any{"extension_type": "property-extension"}
	if d.Class >= 0 {
		ext["classification"] = Levels[d.Class]
	}
	if len(d.RelTo) > 0 {
		ext["rel_to"] = d.RelTo
	}
	if d.ORCON {
		ext["orcon"] = true
	}
	b, err := json.Marshal(map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": d.ID,
		"created": "2024-01-01T00:00:00.000Z", "name": "random " + d.ID[len(d.ID)-6:],
		"extensions": map[string]any{TearlineExtension: ext},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// Profile is an organization's profile as the rules read it.
type Profile struct {
	Country     string
	Communities []string
	Clearance   string
}

// RandomProfile returns a random profile: a country in either form or
// none, some communities, a clearance or none.
func RandomProfile(rng *rand.Rand) Profile {
	var p Profile
	if rng.IntN(6) > 0 {
		p.Country = Countries[rng.IntN(len(Countries))]
	}
	for _, c := range Communities {
		if rng.IntN(3) == 0 {
			p.Communities = append(p.Communities, c)
		}
	}
	if rng.IntN(4) > 0 {
		p.Clearance = Levels[rng.IntN(len(Levels))]
	}
	return p
}

// Types are the object types RandomObject makes.
var Types = []string{"indicator", "malware", "report", "note"}

// Object is a random object version as generated.
type Object struct {
	ID, Type  string
	Modified  string
	CreatedBy string
	Raw       []byte         // the bytes to post
	Value     map[string]any // Raw decoded
}

// ObjectSpec says what RandomObject makes.
type ObjectSpec struct {
	Type, ID  string
	Version   int    // the modified timestamp is Base plus Version minutes
	CreatedBy string // created_by_ref; "" for none
	Orgs      []string
	// Markings are the definitions marking_refs draw from; the first
	// TLPDefs ones are drawn more often.
	Markings []Def
	Base     time.Time
}

// RandomObject returns an object of spec.Type with optional properties
// holding values unique within it, random object markings, a random RED
// distribution list of spec.Orgs, and random granular markings on
// optional properties and list items (now and then on a required one).
// The bytes are indented or compact at random.
func RandomObject(rng *rand.Rand, spec ObjectSpec) Object {
	n := 0
	uniq := func() string { n++; return fmt.Sprintf("%s-v%03d", spec.ID[len(spec.ID)-4:], n) }
	created := spec.Base.Format("2006-01-02T15:04:05.000Z")
	modified := spec.Base.Add(time.Duration(spec.Version) * time.Minute).Format("2006-01-02T15:04:05.000Z")
	o := map[string]any{
		"type": spec.Type, "spec_version": "2.1", "id": spec.ID,
		"created": created, "modified": modified,
	}
	if spec.CreatedBy != "" {
		o["created_by_ref"] = spec.CreatedBy
	}
	sels := []string{}
	opt := func(name string, v any) {
		o[name] = v
		sels = append(sels, name)
	}
	list := func(name string, items []any) {
		o[name] = items
		sels = append(sels, name)
		for i := range items {
			sels = append(sels, fmt.Sprintf("%s.[%d]", name, i))
		}
	}
	var reqSels []string
	switch spec.Type {
	case "indicator":
		o["pattern"] = fmt.Sprintf("[ipv4-addr:value = '10.%d.%d.%d']", rng.IntN(256), rng.IntN(256), rng.IntN(256))
		o["pattern_type"] = "stix"
		o["valid_from"] = created
		reqSels = []string{"pattern", "valid_from"}
		if rng.IntN(2) == 0 {
			opt("name", uniq())
		}
		if rng.IntN(2) == 0 {
			list("indicator_types", pickSome(rng, []string{"malicious-activity", "attribution", "compromised", "anonymization"}))
		}
	case "malware":
		family := rng.IntN(2) == 0
		o["is_family"] = family
		reqSels = []string{"is_family"}
		if family || rng.IntN(2) == 0 {
			opt("name", uniq())
		}
		if rng.IntN(2) == 0 {
			list("malware_types", pickSome(rng, []string{"backdoor", "bot", "ransomware", "trojan", "worm"}))
		}
	case "report":
		o["name"] = uniq()
		o["published"] = created
		reqSels = []string{"name", "published"}
		var refs []any
		for i := range 1 + rng.IntN(3) {
			refs = append(refs, fmt.Sprintf("indicator--%s", uuidFrom(spec.ID, i)))
		}
		list("object_refs", refs)
	case "note":
		o["content"] = uniq()
		reqSels = []string{"content"}
		if rng.IntN(2) == 0 {
			opt("abstract", uniq())
		}
		var refs []any
		for i := range 1 + rng.IntN(2) {
			refs = append(refs, fmt.Sprintf("malware--%s", uuidFrom(spec.ID, i)))
		}
		list("object_refs", refs)
	default:
		panic("markingtest: no generator for type " + spec.Type)
	}
	if rng.IntN(3) > 0 {
		opt("description", uniq())
	}
	if rng.IntN(2) == 0 {
		opt("x_custom", map[string]any{"note": uniq(), "score": rng.IntN(100)})
		sels = append(sels, "x_custom.note")
	}
	if rng.IntN(2) == 0 {
		var labels []any
		for range 1 + rng.IntN(4) {
			labels = append(labels, uniq())
		}
		list("labels", labels)
	}
	if rng.IntN(2) == 0 {
		var refs []any
		for range 1 + rng.IntN(3) {
			refs = append(refs, map[string]any{"source_name": uniq(), "description": uniq(), "url": "https://x.example/" + uniq()})
		}
		list("external_references", refs)
		for i := range refs {
			sels = append(sels, fmt.Sprintf("external_references.[%d].url", i), fmt.Sprintf("external_references.[%d].description", i))
		}
	}
	pick := func() string {
		if rng.IntN(2) == 0 {
			return TLPDefs[rng.IntN(len(TLPDefs))].ID
		}
		return spec.Markings[rng.IntN(len(spec.Markings))].ID
	}
	var om []any
	for range rng.IntN(3) {
		if id := pick(); !slices.Contains(om, any(id)) {
			om = append(om, id)
		}
	}
	if len(om) > 0 {
		o["object_marking_refs"] = om
	}
	if rng.IntN(3) == 0 && len(spec.Orgs) > 0 {
		o["x_tearline_distribution"] = pickSome(rng, spec.Orgs)
	}
	if rng.IntN(12) == 0 {
		sels = append(sels, reqSels[rng.IntN(len(reqSels))])
	}
	var gm []any
	for range rng.IntN(5) {
		if len(sels) == 0 {
			break
		}
		var s []any
		for range 1 + rng.IntN(3) {
			if x := sels[rng.IntN(len(sels))]; !slices.Contains(s, any(x)) {
				s = append(s, x)
			}
		}
		if rng.IntN(8) == 0 {
			gm = append(gm, map[string]any{"lang": "en", "selectors": s})
		} else {
			gm = append(gm, map[string]any{"marking_ref": pick(), "selectors": s})
		}
	}
	if len(gm) > 0 {
		o["granular_markings"] = gm
	}
	var raw []byte
	var err error
	if rng.IntN(2) == 0 {
		raw, err = json.MarshalIndent(o, "", "  ")
	} else {
		raw, err = json.Marshal(o)
	}
	if err != nil {
		panic(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		panic(err)
	}
	return Object{ID: spec.ID, Type: spec.Type, Modified: modified, CreatedBy: spec.CreatedBy, Raw: raw, Value: v}
}

// pickSome returns a random non-empty subset of from, in order.
func pickSome(rng *rand.Rand, from []string) []any {
	var out []any
	for _, s := range from {
		if rng.IntN(3) == 0 {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = append(out, from[rng.IntN(len(from))])
	}
	return out
}

// uuid4 returns a random version 4 UUID drawn from rng.
func uuid4(rng *rand.Rand) string {
	a, b := rng.Uint64(), rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%x%03x-%012x", a>>32, a>>16&0xffff, a&0xfff, 8+b>>62&3, b>>48&0xfff, b&0xffffffffffff)
}

// uuidFrom returns a version 4 UUID derived from an id and a number.
func uuidFrom(id string, i int) string {
	return uuid4(rand.New(rand.NewPCG(uint64(len(id))*7919+uint64(i), hash(id))))
}

func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

// NewID returns a random STIX id of type typ drawn from rng.
func NewID(rng *rand.Rand, typ string) string { return typ + "--" + uuid4(rng) }
