package logio

import "encoding/binary"

// The index that heads every unit precd writes, read and written here only. A unit is an index
// followed by one zstd data frame, or a gzip member carrying the index in its header; plain logs
// have none. Readers use it to count what a damaged unit held and to skip a unit read before (a
// copytruncate replay).

// An index is the 32-byte payload that heads each unit precd writes: the skippable frame before a
// zstd data frame, or the PR subfield of a gzip member's extra field.
type index struct {
	flags   uint8
	run     uint64 // the precd run: its event_id prefix as a number
	seq     uint64 // the unit's number within the run, from 1
	records uint32
	size    uint32 // uncompressed bytes
}

const (
	indexLen      = 32
	indexReplay   = 1 // flags: the unit repeats one written before a copytruncate
	maxUnit       = 64 << 20
	skippableHead = 8  // magic and length of the skippable frame before the payload
	gzipIndexAt   = 16 // where the payload starts in a member: 10-byte header, XLEN, SI1 SI2 LEN
)

// skippableMagic is the zstd skippable frame (0x184D2A50) that carries a unit's index.
var skippableMagic = []byte{0x50, 0x2a, 0x4d, 0x18}

// append writes the index as the payload: "PREC", version 1, flags, reserved, then the fields.
func (ix index) append(b []byte) []byte {
	b = append(b, 'P', 'R', 'E', 'C', 1, ix.flags, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, ix.run)
	b = binary.LittleEndian.AppendUint64(b, ix.seq)
	b = binary.LittleEndian.AppendUint32(b, ix.records)
	return binary.LittleEndian.AppendUint32(b, ix.size)
}

func parseIndex(p []byte) (index, bool) {
	if len(p) != indexLen || string(p[:4]) != "PREC" || p[4] != 1 || binary.LittleEndian.Uint16(p[6:]) != 0 {
		return index{}, false
	}
	ix := index{
		flags:   p[5],
		run:     binary.LittleEndian.Uint64(p[8:]),
		seq:     binary.LittleEndian.Uint64(p[16:]),
		records: binary.LittleEndian.Uint32(p[24:]),
		size:    binary.LittleEndian.Uint32(p[28:]),
	}
	if ix.seq == 0 || ix.size > maxUnit || ix.records > ix.size {
		return index{}, false
	}
	return ix, true
}

// gzipIndex finds the PR subfield in a gzip member's extra field.
func gzipIndex(extra []byte) (index, bool) {
	for len(extra) >= 4 {
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		if len(extra) < 4+n {
			break
		}
		if extra[0] == 'P' && extra[1] == 'R' {
			return parseIndex(extra[4 : 4+n])
		}
		extra = extra[4+n:]
	}
	return index{}, false
}
