package keyspace

// PeekRaw finds key as it sits in the table, expired or not, without
// reclaiming it or touching its access data: Redis's dictFind, which
// DEBUG OBJECT uses so that a test can see a key that has expired but not
// been reclaimed yet.
func (d *DB) PeekRaw(key []byte) (Ref, bool) {
	r := d.lookup(key, d.Hash(key))
	return r, r != noRef
}
