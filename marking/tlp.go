package marking

// TLP is a Traffic Light Protocol level, ordered from least to most
// restrictive. TLP 1.0 WHITE is CLEAR; TLP 1.0 AMBER is TLP 2.0 AMBER.
type TLP uint8

// The TLP levels. NoTLP is the zero value: no TLP marking (or, for a
// recipient's ceiling, nothing may be received).
const (
	NoTLP TLP = iota
	Clear
	Green
	Amber
	AmberStrict
	Red
)

var tlpNames = [...]string{NoTLP: "", Clear: "TLP:CLEAR", Green: "TLP:GREEN", Amber: "TLP:AMBER", AmberStrict: "TLP:AMBER+STRICT", Red: "TLP:RED"}

// String returns the level as written in TLP 2.0, e.g. "TLP:AMBER+STRICT",
// or "" for NoTLP.
func (t TLP) String() string {
	if int(t) < len(tlpNames) {
		return tlpNames[t]
	}
	return "TLP(?)"
}

// ParseTLP parses a TLP 2.0 level as found in the tlp_2_0 property ("clear",
// "green", "amber", "amber+strict", "red"), a TLP 1.0 colour ("white", ...)
// or the String form ("TLP:AMBER"), case-insensitively. ok is false for
// anything else.
func ParseTLP(s string) (TLP, bool) {
	if len(s) > 4 && (s[:4] == "TLP:" || s[:4] == "tlp:") {
		s = s[4:]
	}
	switch lower(s) {
	case "clear", "white":
		return Clear, true
	case "green":
		return Green, true
	case "amber":
		return Amber, true
	case "amber+strict":
		return AmberStrict, true
	case "red":
		return Red, true
	}
	return NoTLP, false
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// The standard marking-definition ids of TLP 1.0 (STIX 2.1 section 7.2.1.4)
// and TLP 2.0 (OASIS common objects, extension TLP2Extension).
const (
	TLP1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	TLP1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	TLP1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	TLP1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"

	TLP2Clear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLP2Green       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLP2Amber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLP2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLP2Red         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// TLP2Extension is the extension-definition of TLP 2.0 marking definitions;
// its value carries "tlp_2_0".
const TLP2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// standardTLP maps the nine standard ids to their level.
var standardTLP = map[string]TLP{
	TLP1White: Clear, TLP1Green: Green, TLP1Amber: Amber, TLP1Red: Red,
	TLP2Clear: Clear, TLP2Green: Green, TLP2Amber: Amber, TLP2AmberStrict: AmberStrict, TLP2Red: Red,
}

// StandardTLP returns the level of a standard TLP 1.0 or 2.0
// marking-definition id; ok is false for any other id.
func StandardTLP(id string) (TLP, bool) {
	t, ok := standardTLP[id]
	return t, ok
}
