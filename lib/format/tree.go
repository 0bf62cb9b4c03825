package format

import (
	"bytes"
	"path"
	"strings"
	"time"

	"github.com/prec-dev/prec/lib/record"
)

var treeKeys = []string{"pid", "ppid", "process_key", "parent_key", "record_type", "uid", "source", "parent_tty_nr", "argv", "timestamp"}

// tree finds each row's depth from the rows before it. Records from prec's precd name their process
// and its parent exactly (process_key, parent_key: pid and start time, so pid reuse cannot mislink);
// a later image of the same process (exec without fork) is shown under the earlier one. Records
// without keys (the reference's logs) get the reference's rule: the latest earlier row whose pid is
// this row's ppid, else a "synthetic" parent: an earlier row of the same uid, source, ppid and
// canonical command, with a compatible parent_tty_nr, started at most 300 ms before.
type tree struct {
	v                                                 *record.View
	pid, ppid, key, parentKey, typ, uid, source, ptty record.Col
	argv, timestamp                                   record.Col
	byKey                                             map[string]int
	byPID                                             map[int64]int
	recent                                            []recentRow // the last rows without keys, for the synthetic rule
}

type recentRow struct {
	at                time.Time
	uid, ppid, ptty   int64
	source, canonical string
	depth             int
}

const synthWindow = 300 * time.Millisecond

const treeMemory = 1 << 20 // processes remembered; past that the maps start again

// newTree returns a tree reading rows through v, a view of treeKeys.
func newTree(v *record.View) *tree {
	return &tree{v: v, pid: v.Col("pid"), ppid: v.Col("ppid"), key: v.Col("process_key"), parentKey: v.Col("parent_key"),
		typ: v.Col("record_type"), uid: v.Col("uid"), source: v.Col("source"), ptty: v.Col("parent_tty_nr"),
		argv: v.Col("argv"), timestamp: v.Col("timestamp"), byKey: map[string]int{}, byPID: map[int64]int{}}
}

// depth is the depth of the row t.v holds.
func (t *tree) depth() int {
	if len(t.byKey) > treeMemory || len(t.byPID) > treeMemory {
		clear(t.byKey)
		clear(t.byPID)
	}
	depth := 0
	v := t.v
	if key := v.String(t.key); key != "" {
		fail := v.String(t.typ) == record.TypeFail
		if d, ok := t.byKey[key]; ok && !fail {
			depth = d + 1
		} else if d, ok := t.byKey[v.String(t.parentKey)]; ok {
			depth = d + 1
		}
		if !fail { // a failed exec left the process as it was
			t.byKey[key] = depth
		}
		return depth
	}
	pid, _ := v.Int(t.pid)
	ppid, _ := v.Int(t.ppid)
	uid, _ := v.Int(t.uid)
	ptty, _ := v.Int(t.ptty)
	at, _ := v.Time(t.timestamp)
	row := recentRow{at: at, uid: uid, ppid: ppid, ptty: ptty, source: v.String(t.source), canonical: canonical(v.Strings(t.argv))}
	if d, ok := t.byPID[ppid]; ok && ppid != 0 {
		depth = d + 1
	} else {
		for i := len(t.recent) - 1; i >= 0; i-- {
			r := t.recent[i]
			if dt := at.Sub(r.at); r.uid == uid && r.source == row.source && r.ppid == ppid && r.canonical == row.canonical &&
				(r.ptty == ptty || r.ptty == 0 || ptty == 0) && dt >= 0 && dt <= synthWindow {
				depth = r.depth + 1
				break
			}
		}
	}
	t.byPID[pid] = depth
	row.depth = depth
	if len(t.recent) == 256 {
		t.recent = append(t.recent[:0], t.recent[128:]...)
	}
	t.recent = append(t.recent, row)
	return depth
}

// canonical is the reference's: argv with argv[0] reduced to its base name, an `aqua exec --` prefix
// dropped.
func canonical(argv []string) string {
	if len(argv) > 3 && path.Base(argv[0]) == "aqua" && argv[1] == "exec" && argv[2] == "--" {
		argv = argv[3:]
	}
	if len(argv) == 0 {
		return ""
	}
	return path.Base(argv[0]) + " " + strings.Join(argv[1:], " ")
}

func (t *tree) prefix(b *bytes.Buffer) {
	d := t.depth()
	if d == 0 {
		return
	}
	b.WriteString(strings.Repeat("  ", d-1))
	b.WriteString("`- ")
}
