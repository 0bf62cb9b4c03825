package format

import (
	"bytes"
	"strings"

	"github.com/prec-dev/prec/lib/record"
)

var treeKeys = []string{"pid", "ppid", "process_key", "parent_key", "record_type"}

// tree finds each row's depth from the rows before it. Records from prec's precd name their process
// and its parent exactly (process_key, parent_key: pid and start time, so pid reuse cannot mislink);
// a later image of the same process (exec without fork) is shown under the earlier one. Records
// without keys fall back to the latest earlier row whose pid is this row's ppid.
type tree struct {
	byKey map[string]int
	byPID map[int64]int
}

const treeMemory = 1 << 20 // processes remembered; past that the maps start again

func newTree() *tree { return &tree{byKey: map[string]int{}, byPID: map[int64]int{}} }

func (t *tree) depth(f *formatter) int {
	if len(t.byKey) > treeMemory || len(t.byPID) > treeMemory {
		clear(t.byKey)
		clear(t.byPID)
	}
	depth := 0
	if key := f.str("process_key"); key != "" {
		fail := f.str("record_type") == record.TypeFail
		if d, ok := t.byKey[key]; ok && !fail {
			depth = d + 1
		} else if d, ok := t.byKey[f.str("parent_key")]; ok {
			depth = d + 1
		}
		if !fail { // a failed exec left the process as it was
			t.byKey[key] = depth
		}
		return depth
	}
	pid, _ := record.Int(f.raw("pid"))
	ppid, _ := record.Int(f.raw("ppid"))
	if d, ok := t.byPID[ppid]; ok && ppid != 0 {
		depth = d + 1
	}
	t.byPID[pid] = depth
	return depth
}

func (t *tree) prefix(b *bytes.Buffer, f *formatter) {
	d := t.depth(f)
	if d == 0 {
		return
	}
	b.WriteString(strings.Repeat("  ", d-1))
	b.WriteString("`- ")
}
