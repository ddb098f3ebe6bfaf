package rdb

// Version is the RDB version written: Redis 7.0's.
const Version = 10

// Object types (the byte before a key).
const (
	TypeString            = 0
	TypeList              = 1
	TypeSet               = 2
	TypeZSet              = 3
	TypeHash              = 4
	TypeZSet2             = 5
	TypeModule            = 6
	TypeModule2           = 7
	TypeHashZipmap        = 9
	TypeListZiplist       = 10
	TypeSetIntset         = 11
	TypeZSetZiplist       = 12
	TypeHashZiplist       = 13
	TypeListQuicklist     = 14
	TypeStreamListpacks   = 15
	TypeHashListpack      = 16
	TypeZSetListpack      = 17
	TypeListQuicklist2    = 18
	TypeStreamListpacks2  = 19
	TypeSetListpack       = 20
	TypeStreamListpacks3  = 21
	TypeDFJSON            = 30 // Dragonfly: JSON document (not loaded)
	TypeDFHashWithExpiry  = 31 // Dragonfly: hash with field TTLs
	TypeDFSetWithExpiry   = 32 // Dragonfly: set with member TTLs
	maxRedisType          = 21
	quicklistNodePlain    = 1
	quicklistNodePacked   = 2
	rdbEncInt8            = 0
	rdbEncInt16           = 1
	rdbEncInt32           = 2
	rdbEncLZF             = 3
	len6Bit               = 0
	len14Bit              = 1
	len32Bit              = 0x80
	len64Bit              = 0x81
	lenEncVal             = 3
	streamItemFlagDeleted = 1
	streamItemFlagSame    = 2
)

// Opcodes.
const (
	OpDFMask          = 220 // Dragonfly: 4-byte key flags (and memcache flags)
	OpFunction2       = 245
	OpFunctionPreGA   = 246
	OpModuleAux       = 247
	OpIdle            = 248
	OpFreq            = 249
	OpAux             = 250
	OpResizeDB        = 251
	OpExpireTimeMs    = 252
	OpExpireTime      = 253
	OpSelectDB        = 254
	OpEOF             = 255
	dfMaskMemcacheFlg = 1 << 1
)
