package rdb

import "hash/crc64"

// jones is the reflected Jones polynomial (0xad93d23594c935a9 reversed).
var jonesTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// CRC64 extends Redis's crc64 checksum crc with p.
func CRC64(crc uint64, p []byte) uint64 {
	// hash/crc64 inverts on entry and exit; Redis's variant does neither.
	return ^crc64.Update(^crc, jonesTable, p)
}
