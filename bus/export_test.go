package bus

// CutOff closes the connection without giving the leases up, as a killed
// node would.
func (b *Bus) CutOff() { b.nc.Close() }
